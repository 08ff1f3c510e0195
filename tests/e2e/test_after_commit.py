"""An answer Telegram fails after the change was saved arrives later; never "not completed"."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from sqlmodel import Session, select

from models import OutboxMessage
from sandbox import botapi
from sandbox.state import ApiError
from tests.e2e.harness import running_bot
from tests.e2e.helpers import (
    GENERIC_ERROR,
    KUNHAO_CODE,
    bot_messages_since,
    case_count,
    cast,
    latest_case,
    settle,
    tr,
)

WANG = 1001  # 王经理, the contact of 坤昊实业 in the demo
DESCRIPTION = "二期增容项目的核准文件需要县发改委和县政府办尽快出具。"
RECEIVED = (
    "Your case {number} has been received. The park's efficiency office will assign it to "
    "the departments concerned; you will be told at every step."
)


@pytest.fixture
def failing_sends(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The emulator answers 502 to the next ``count`` sendMessage calls to ``chat``."""
    plan: dict[str, Any] = {"chat": None, "count": 0, "failed": 0}
    real: Callable[[Any], Awaitable[Any]] = botapi.METHODS["sendmessage"]

    async def send_message(call: Any) -> Any:
        if plan["count"] and call.params.text("chat_id") == str(plan["chat"]):
            plan["count"] -= 1
            plan["failed"] += 1
            raise ApiError(502, "Bad Gateway")
        return await real(call)

    monkeypatch.setitem(botapi.METHODS, "sendmessage", send_message)
    yield plan


async def test_a_reply_that_fails_after_the_commit_is_delivered_later(
    db_url: str, failing_sends: dict[str, Any]
) -> None:
    async with running_bot(db_url) as bot:
        wang = (await cast(bot, "zh", WANG))[WANG]
        before = await case_count(bot)
        failing_sends.update(chat=WANG, count=1)
        sent = await wang.send(f"/report permit {DESCRIPTION}")
        await settle(bot, sent)
        assert failing_sends["failed"] == 1  # the answer really failed once
        assert await case_count(bot) == before + 1  # filed once
        number = (await latest_case(bot, KUNHAO_CODE)).number
        messages = await bot_messages_since(wang, sent.seq)
        texts = [m.text for m in messages]
        assert not [t for t in texts if tr("zh", GENERIC_ERROR) in t]
        received = tr("zh", RECEIVED, number=number)
        assert sum(received.split("\n")[0] in t for t in texts) == 1, texts

        def owed(session: Session) -> list[str]:
            rows = session.exec(select(OutboxMessage).where(OutboxMessage.template == "reply"))
            return [r.status for r in rows]

        assert await bot.db.run(owed) == ["sent"]


async def test_a_reply_that_fails_before_anything_was_saved_still_says_so(
    db_url: str, failing_sends: dict[str, Any]
) -> None:
    async with running_bot(db_url) as bot:
        wang = (await cast(bot, "zh", WANG))[WANG]
        failing_sends.update(chat=WANG, count=1)
        sent = await wang.send("/help")  # answered without any service call
        await settle(bot, sent)
        assert failing_sends["failed"] == 1
        texts = [m.text for m in await bot_messages_since(wang, sent.seq)]
        assert any(tr("zh", GENERIC_ERROR) in t for t in texts), texts
