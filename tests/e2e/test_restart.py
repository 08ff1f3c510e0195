"""A restart in the middle of a conversation loses nothing; an abandoned one expires politely."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.i18n import t
from models import Case, Draft
from models.types import utcnow
from sandbox.server import running_in_thread
from scheduler.sweeps import run_sweeps
from services import callbacks
from tests.e2e.harness import running_bot


async def test_report_continues_after_a_restart(db_url: str) -> None:
    with running_in_thread(port=0) as telegram:
        async with running_bot(db_url, server=telegram) as bot:
            wang = await bot.client.persona(1001, "王经理", language_code="zh")
            sent = await wang.send("/report")
            form = await wang.wait_for_bot_message(after=sent)
            pressed = await wang.press(form, data=callbacks.report("cat", "utility"))
            await wang.wait_for_bot_message(lambda m: m.edited, after=pressed)
        # The bot restarts (new process state, same database); Telegram keeps running.
        async with running_bot(db_url, server=telegram) as bot:
            wang = await bot.client.persona(1001, "王经理", language_code="zh")
            # The project question is still open: the old buttons still work.
            pressed = await wang.press(form, data=callbacks.report("prj", 0))
            reply = await wang.wait_for_bot_message(after=pressed)
            assert reply.text.split("\n")[0] == t(
                "zh",
                "Describe the problem in your own words: what is needed, by when, "
                "and what is blocking it.",
            )
            sent = await wang.send("Water pressure too low for the second production line")
            reply = await wang.wait_for_bot_message(after=sent)
            assert reply.buttons == [(t("zh", "Continue"), callbacks.report("next"))]
            drafts = bot.db.call(lambda s: s.exec(select(Draft)).all())
            assert [(d.kind, d.step, d.data["category"]) for d in drafts] == [
                ("report", "attachments", "utility")
            ]


async def test_abandoned_report_expires_with_a_note(db_url: str) -> None:
    async with running_bot(db_url) as bot:
        wang = await bot.client.persona(1001, "王经理", language_code="zh")
        sent = await wang.send("/report")
        await wang.wait_for_bot_message(after=sent)
        later = utcnow() + bot.deps.rules.conversation_ttl
        counts = run_sweeps(bot.db, bot.deps.rules.at(later + timedelta(seconds=1)))
        assert counts["expire_drafts"] == 1
        bot.deps.kick_outbox()
        note = await wang.wait_for_bot_message()  # the next one after the form
        assert note.text == t(
            "zh",
            "Your unfinished {what} was discarded after a period of inactivity. "
            "Nothing was submitted; start again whenever you are ready.",
            what=t("zh", "problem report"),
        )
        # The next text is not taken as a description of a report that no longer exists.
        sent = await wang.send("Power line relocation")
        reply = await wang.wait_for_bot_message(after=sent)
        assert reply.text == t(
            "zh", "I did not understand that. Send /help to see what you can do."
        )
        assert bot.db.call(lambda s: s.exec(select(Case)).all()) == []
