"""Acceptance (issue 9): the scoreboard, manual deductions and reports over the sandbox."""

from __future__ import annotations

import dataclasses

from sqlmodel import Session, select

from models import Deduction
from sandbox.media import make_png
from services import reports
from services.periods import Period
from services.rules import Rules
from tests.e2e.harness import running_bot
from tests.e2e.helpers import STORY, WAIT, assert_translated, cast, settle, tr, wait_text
from tests.factories import at, file_case

SUPERVISOR, DISPATCHER, POWER, DRC_HEAD, CONTACT = 4001, 2002, 3005, 3101, 1001


def rendered(lang: str, msgid: str, **params: object) -> str:
    return tr(lang, msgid, **params)


@STORY
async def test_scoreboard_for_a_supervisor_and_a_liaison(db_url: str, lang: str) -> None:
    async with running_bot(db_url) as bot:
        people = await cast(bot, lang, SUPERVISOR, POWER, CONTACT)
        sent = await people[SUPERVISOR].send("/deduct power 2 杆线迁改延误")
        await settle(bot, sent)
        row = await bot.db.run(lambda s: s.exec(select(Deduction)).one())
        # The power bureau's liaison is told of it.
        notice = await people[POWER].wait_for_bot_message(
            lambda m: f"#{row.id}" in m.body and "杆线迁改延误" in m.body, timeout=WAIT
        )
        assert notice.body.startswith("➖")

        sent = await people[SUPERVISOR].send("/scoreboard")
        board = await people[SUPERVISOR].wait_for_bot_message(after=sent, timeout=WAIT)
        lines = board.body.splitlines()
        assert len([x for x in lines if "/10. " in x]) == 10  # every department ranked
        power_line = next(x for x in lines if x.startswith("10/10."))
        assert rendered(lang, "{score} points", score="98") in power_line
        assert rendered(lang, "bottom of the ranking") in power_line
        assert f"#{row.id} −2 " + rendered(lang, "deduction by a supervisor") in board.body

        sent = await people[POWER].send("/scoreboard")
        own = await people[POWER].wait_for_bot_message(after=sent, timeout=WAIT)
        ranked = [x for x in own.body.splitlines() if "/10. " in x]
        assert len(ranked) == 1 and ranked[0].startswith("10/10.")

        sent = await people[SUPERVISOR].send("/scoreboard 2026-10")
        refusal = await people[SUPERVISOR].wait_for_bot_message(after=sent, timeout=WAIT)
        assert refusal.body == "⚠️ " + rendered(
            lang,
            "Assessments are by half-year or year: write e.g. 2026H1 or 2026, not {period}.",
            period="2026-10",
        )
        sent = await people[CONTACT].send("/scoreboard")
        refusal = await people[CONTACT].wait_for_bot_message(after=sent, timeout=WAIT)
        assert refusal.body.startswith("⚠️ ")
        assert "/10. " not in refusal.body

        sent = await people[SUPERVISOR].send(f"/revoke_deduction {row.id} 申诉成立")
        await wait_text(
            people[SUPERVISOR],
            lang,
            "Deduction #{id} revoked; it no longer counts.",
            id=row.id,
            after=sent,
        )
        await settle(bot, sent)
        assert_translated(lang)


def chart_and_workbook(session: Session, *, period: Period, rules: Rules):  # type: ignore[no-untyped-def]
    return lambda lang: reports.Extras(
        attachments=[
            ("photo", f"{period.code}.png", make_png(8, 6)),
            ("document", f"{period.code}.xlsx", f"workbook {lang}".encode()),
        ]
    )


async def test_a_report_arrives_with_its_picture_and_workbook(db_url: str) -> None:
    async with running_bot(db_url) as bot:
        people = await cast(bot, "zh", SUPERVISOR, DRC_HEAD)
        # In use since September (a case filed): October is reported.
        file_case(bot.db, rules=bot.deps.rules.at(at(2026, 9, 1, 10)))
        rules = bot.deps.rules.at(at(2026, 11, 2, 9))
        assert not rules.assessment.reports  # the harness keeps them off in other tests
        on = dataclasses.replace(rules.assessment, reports=True)
        rules = dataclasses.replace(rules, assessment=on)
        count = await bot.db.run(
            lambda s: reports.send_due(s, rules=rules, attachments=chart_and_workbook)
        )
        assert count == 3
        bot.deps.kick_outbox()
        await settle(bot)
        for tid in (SUPERVISOR, DRC_HEAD):
            got = [
                m
                for m in await people[tid].bot_messages()
                if "2026-10" in m.body or m.photo or m.document
            ]
            text, photo, document = got[-3:]
            assert rendered("zh", "Monthly report {period}", period="2026-10") in text.body
            assert photo.photo is not None
            assert (
                document.document is not None and document.document["file_name"] == "2026-10.xlsx"
            )
            assert await bot.client.file_bytes(document.document["file_id"]) == b"workbook zh"
        # A second sweep, or another instance's: nothing more is sent.
        again = await bot.db.run(
            lambda s: reports.send_due(s, rules=rules, attachments=chart_and_workbook)
        )
        assert again == 0
