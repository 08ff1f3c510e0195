"""Nothing a user sent is lost in a crash: updates are stored before Telegram hears back."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select
from telegram import Update

from bot.db import Database, upgrade
from bot.inbox import DurableQueue
from models import InboxUpdate, ProcessedUpdate
from models.types import utcnow
from sandbox.server import running_in_thread
from services import updates
from tests.e2e.harness import running_bot
from tests.e2e.helpers import eventually


def help_update(update_id: int, user_id: int = 1001) -> dict[str, Any]:
    person = {"id": user_id, "is_bot": False, "first_name": "王经理", "language_code": "zh"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 77,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "王经理"},
            "from": person,
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }


async def test_an_update_is_stored_before_it_is_accepted(db: Database, session: Session) -> None:
    queue = DurableQueue()
    queue.db = db
    update = Update.de_json(help_update(500), None)
    await queue.put(update)
    await queue.put(update)  # Telegram delivered it twice: stored and queued once
    stored = session.exec(select(InboxUpdate)).all()
    assert [(row.update_id, row.payload["message"]["text"]) for row in stored] == [(500, "/help")]
    assert queue.qsize() == 1


async def test_a_replayed_update_fetched_again_is_handled_once(db: Database) -> None:
    # After a restart the unhandled update is queued from the database, and Telegram sends it
    # again because its batch was never confirmed: two copies handled at once would both act
    # before either is marked handled (a case dispatched twice).
    queue = DurableQueue()
    queue.db = db
    update = Update.de_json(help_update(501), None)
    await queue.requeue(update)
    await queue.put(update)
    await queue.requeue(update)
    assert queue.qsize() == 1


async def test_an_update_that_cannot_be_stored_is_not_accepted_until_it_is(
    db: Database, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = updates.store
    broken = {"left": 2}

    def flaky_store(session: Session, **kwargs: Any) -> bool:
        if broken["left"]:
            broken["left"] -= 1
            raise OSError("database unreachable")
        return store(session, **kwargs)

    monkeypatch.setattr(updates, "store", flaky_store)
    queue = DurableQueue()
    queue.db = db
    put = asyncio.create_task(queue.put(Update.de_json(help_update(501), None)))
    await asyncio.sleep(0.2)
    assert not put.done() and queue.empty()  # not accepted while it is not stored
    async with asyncio.timeout(10):
        await put
    assert queue.qsize() == 1
    assert session.exec(select(InboxUpdate.update_id)).all() == [501]


async def test_polling_does_not_confirm_an_update_before_it_is_stored(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = updates.store
    database_up = asyncio.Event()

    def store_when_up(session: Session, **kwargs: Any) -> bool:
        if not database_up.is_set():
            raise OSError("database unreachable")
        return store(session, **kwargs)

    monkeypatch.setattr(updates, "store", store_when_up)
    async with running_bot(db_url) as bot:
        wang = await bot.client.persona(1001, "王经理", language_code="zh")
        sent = await wang.send("/help")
        await asyncio.sleep(1.5)  # the poller fetched it and failed to store it meanwhile
        info = await bot.app.bot.get_webhook_info()
        assert info.pending_update_count == 1  # Telegram still holds it
        database_up.set()
        await wang.wait_for_bot_message(after=sent, timeout=20)
        info = await bot.app.bot.get_webhook_info()
        assert info.pending_update_count == 0


def _handled_ids(session: Session) -> list[int]:
    return list(session.exec(select(ProcessedUpdate.update_id)).all())


async def test_an_update_stored_but_not_handled_is_handled_after_a_restart(db_url: str) -> None:
    upgrade(db_url)
    # The previous process stored update 900 and was killed before handling it; Telegram
    # will never send it again.
    db = Database(db_url)
    try:
        received = utcnow() - timedelta(minutes=2)
        db.call(
            lambda s: s.add(
                InboxUpdate(update_id=900, payload=help_update(900), received_at=received)
            )
        )
    finally:
        db.dispose()
    with running_in_thread(port=0) as telegram:
        telegram.add_persona(1001, "王经理", language_code="zh")
        async with running_bot(db_url, server=telegram) as bot:
            wang = await bot.client.persona(1001, "王经理", language_code="zh")
            answer = await wang.wait_for_bot_message(after=0, timeout=20)
            assert "/report" in answer.text  # the /help answer

            async def handled() -> bool:  # recorded once its handlers ran, after the answer
                ids = await bot.db.run(_handled_ids)
                return 900 in ids

            await eventually(handled, what="update 900 recorded as handled", within=10)
