"""Issue 10: the sandbox's chats stay across a restart, and "reset demo" clears them with the
database and the clock, with nothing from before arriving afterwards."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from sqlmodel import func, select

from bot.sandbox_mode import SANDBOX_TOKEN
from models import Case, OutboxMessage, User
from models.types import utcnow
from sandbox.store import SandboxStore
from services.demo import PERSONAS
from tests.e2e.helpers import answer_to, assignments_of, handled, settle
from tests.e2e.sandbox_runner import sandbox_running, sandbox_settings
from tests.e2e.test_deadlines import submit
from tests.e2e.test_sandbox_clock import TIME

LI_NA, DISPATCHER = 1002, 2002


async def test_chats_edits_answers_files_and_clock_stay_across_a_restart(
    db_url: str, tmp_path: Path
) -> None:
    settings = sandbox_settings(db_url, time=TIME)
    store = str(tmp_path / "sandbox.db")
    async with sandbox_running(settings, store) as (bot, _runner):
        user = await bot.client.persona(LI_NA, "Li Na", "en", note="kept note")
        sent = await user.send("/help")
        reply = await user.wait_for_bot_message(lambda m: True, after=sent)
        # An edit through the Bot API, as the bot edits a live card.
        async with httpx.AsyncClient(trust_env=False) as http:
            edited = await http.post(
                f"{bot.server.url}/bot{SANDBOX_TOKEN}/editMessageText",
                json={"chat_id": LI_NA, "message_id": reply.message_id, "text": "edited help"},
            )
        assert edited.json()["ok"]
        pressed = await user.press_raw(reply.message_id, "no-such-button")
        await answer_to(user, pressed)
        upload = await user.send_document(b"minutes of the meeting", "minutes.txt")
        await settle(bot, sent, upload)
        await bot.client.advance("1h")
        before = await user.chat()
        personas_before = await bot.client.personas()
    assert len(before["messages"]) >= 3 and before["callback_answers"]

    async with sandbox_running(settings, store) as (bot, _runner):
        user = await bot.client.persona(LI_NA, "Li Na", "en")
        after = await user.chat()
        assert after["messages"][: len(before["messages"])] == before["messages"]
        assert after["callback_answers"] == before["callback_answers"]
        shown = {m["message_id"]: m for m in after["messages"]}
        assert shown[reply.message_id]["text"] == "edited help"
        assert shown[reply.message_id]["edit_count"] == 1
        assert {p["user_id"]: p["note"] for p in await bot.client.personas()} == {
            p["user_id"]: p["note"] for p in personas_before
        }
        document = shown[upload.message_id]["document"]
        assert await bot.client.file_bytes(document["file_id"]) == b"minutes of the meeting"
        assert (await bot.client.clock())["offset_seconds"] >= 3600
        # The bot still answers, in new messages after the kept ones.
        sent = await user.send("/help")
        answer = await user.wait_for_bot_message(lambda m: True, after=sent)
        assert answer.message_id > max(shown)
        await handled(bot, sent)


async def test_reset_demo_clears_chats_database_and_clock_and_nothing_old_arrives(
    db_url: str, tmp_path: Path
) -> None:
    settings = sandbox_settings(db_url, time=TIME)
    store = str(tmp_path / "sandbox.db")
    async with sandbox_running(settings, store) as (bot, _runner):
        dispatcher = await bot.client.persona(DISPATCHER, "陈主任", "zh")
        await bot.client.advance("2h")
        number = await bot.db.run(lambda s: submit(s, bot.deps.rules))
        await settle(bot)
        sent = await dispatcher.send(f"/dispatch {number} drc,epb,power,water")
        await handled(bot, sent)
        assert await assignments_of(bot, number)
        # At once, while the dispatch's notifications are still being sent.
        reset = await bot.client.request("POST", "/reset")
        assert reset["ok"]

        clock = await bot.client.clock()
        assert clock["offset_seconds"] == 0 and clock["next_deadline"] is None
        assert abs(utcnow() - datetime.fromisoformat(clock["now"])) < timedelta(seconds=5)
        personas = await bot.client.personas()
        assert {p["user_id"] for p in personas} == {p.telegram_id for p in PERSONAS}
        assert all(p["last_message"] is None for p in personas)
        counts = await bot.db.run(
            lambda s: (
                s.exec(select(func.count()).select_from(Case)).one(),
                s.exec(select(func.count()).select_from(OutboxMessage)).one(),
                s.exec(select(func.count()).select_from(User)).one(),
            )
        )
        assert counts == (0, 0, len(PERSONAS))
        # A sweep on the fresh database, and time for anything old to turn up: nothing does.
        await bot.client.advance("1wd")
        await asyncio.sleep(2)
        assert all(p["last_message"] is None for p in await bot.client.personas())
        kept = SandboxStore(store)
        try:
            snapshot = kept.snapshot()
        finally:
            kept.close()
        assert snapshot.messages == [] and snapshot.files == []
        assert len(snapshot.personas) == len(PERSONAS)

        # The new bot answers.
        user = await bot.client.persona(DISPATCHER, "陈主任", "zh")
        sent = await user.send("/help")
        reply = await user.wait_for_bot_message(lambda m: True, after=sent)
        assert reply.message_id == 2
