"""Acceptance (issue 9): inspection filings and the unfiled-inspection notice over the sandbox.

The development commission's liaison files an inspection of Kunhao for today; Kunhao's contact
is told in advance. The contact reports today's inspection (covered: a thank-you, nobody else
told) and, through the guided form, one by the same commission yesterday (the filing was made
after it, so nothing covers it). The supervisor is alerted, presses Confirm unfiled twice:
one deduction, and every liaison and head gets the county-wide notice once, in their language.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.i18n import tn
from models import Deduction
from models.enums import DeductionKind
from models.types import utcnow
from sandbox.client import SandboxMessage
from services.demo import PERSONAS
from services.messages.common import name_of
from tests.e2e.harness import Running, running_bot
from tests.e2e.helpers import (
    KUNHAO_NAME,
    STORY,
    answer_to,
    assert_translated,
    cast,
    departments,
    find_button,
    has,
    labels,
    mark,
    outbox_rows_for,
    press_label,
    refused,
    settle,
    tr,
    wait_text,
)
from tests.rules import RULES

CONTACT, DRC, DRC_HEAD, SUPERVISOR = 1001, 3002, 3101, 4001
NOTICE = (
    "{department} inspected {enterprise} on {date} without filing the inspection first. "
    "{points} points are deducted from its assessment. Every inspection of a park "
    "enterprise must be filed with /inspect before it takes place."
)
LOOKED_INTO = (
    "Thank you. No filing covers this inspection; the discipline commission's "
    "efficiency office will look into it."
)
DEPARTMENT_PEOPLE = [p for p in PERSONAS if p.role in ("liaison", "head")]


async def notices_in(bot: Running, chat: int, since: int, lang: str, **params: str) -> int:
    """How many bot messages in ``chat`` after ``since`` show the unfiled notice in ``lang``."""
    events, _ = await bot.client.events(since, chat_id=chat)
    messages = [
        SandboxMessage.from_view(e["message"])
        for e in events
        if e["type"] == "message" and e["message"]["from_bot"]
    ]
    return sum(has(m, lang, NOTICE, **params) for m in messages)


@STORY
async def test_an_unfiled_inspection_is_confirmed_and_noticed_once(db_url: str, lang: str) -> None:
    async with running_bot(db_url) as bot:
        people = await cast(bot, lang, CONTACT, DRC, DRC_HEAD, SUPERVISOR)
        depts = await departments(bot)
        drc = depts["drc"]
        today = utcnow().astimezone(RULES.zone).date()
        yesterday = today - timedelta(days=1)

        # The liaison files; the contact is told in advance.
        sent = await people[DRC].send(f"/inspect {KUNHAO_NAME} {today} 产品质量抽检 | 张三, 李四")
        filed = (
            "Inspection {number} of {enterprise} on {date} is filed; the enterprise has been told."
        )
        await wait_text(
            people[DRC],
            lang,
            filed,
            after=sent,
            number="#1",
            enterprise=KUNHAO_NAME,
            date=str(today),
        )
        told = "{department} has filed an inspection of your enterprise on {date}."
        await wait_text(people[CONTACT], lang, told, department=name_of(lang, drc), date=str(today))
        sent = await people[DRC].send(f"/inspect {KUNHAO_NAME} {yesterday} 抽检 | 张三")
        await wait_text(
            people[DRC],
            lang,
            "{date} is in the past: an inspection is filed before it takes place.",
            after=sent,
            date=str(yesterday),
        )

        # Today's inspection is covered: a thank-you, the supervisor hears nothing.
        sent = await people[CONTACT].send("/inspected drc today")
        covered = "Thank you. This inspection was filed in advance, as it should be."
        await wait_text(people[CONTACT], lang, covered, after=sent)
        await settle(bot, sent)

        # Yesterday's, through the form's buttons, is not: the supervisor decides.
        start = await mark(bot)
        sent = await people[CONTACT].send("/inspected")
        form = await wait_text(
            people[CONTACT], lang, "Which department inspected your enterprise?", after=sent
        )
        pressed = await press_label(people[CONTACT], form, name_of(lang, drc))
        day = await wait_text(
            people[CONTACT],
            lang,
            "On which date did {department} inspect? Choose, or type it (e.g. 2026-12-03).",
            after=pressed,
            department=name_of(lang, drc),
        )
        pressed = await press_label(people[CONTACT], day, tr(lang, "Yesterday"))
        await wait_text(people[CONTACT], lang, LOOKED_INTO, after=pressed)
        alert = await wait_text(
            people[SUPERVISOR],
            lang,
            "Inspection report {number}: no filing covers it.",
            number="#3",
        )
        # A double tap: the same button twice before its answer comes back.
        data = find_button(alert, tr(lang, "Confirm unfiled"))
        first = await people[SUPERVISOR].press_raw(alert.message_id, data)
        second = await people[SUPERVISOR].press_raw(alert.message_id, data)
        await settle(bot, first, second)
        answers = {(await answer_to(people[SUPERVISOR], p)).text for p in (first, second)}
        assert answers == {
            tr(lang, "Confirmed as unfiled; the notice is on its way."),
            tr(lang, "Already confirmed as unfiled."),
        }
        await people[SUPERVISOR].wait_for_edit(
            alert,
            lambda m: (
                has(
                    m,
                    lang,
                    "Inspection report {number} confirmed unfiled by {name}.",
                    number="#3",
                    name="郑书记",
                )
                and not m.buttons
            ),
        )

        (deduction,) = await bot.db.run(lambda s: list(s.exec(select(Deduction)).all()))
        assert deduction.kind == DeductionKind.UNFILED_INSPECTION
        assert (deduction.department_id, deduction.points) == (drc.id, 2.0)
        assert (deduction.year, deduction.half) == (yesterday.year, 1 + (yesterday.month > 6))
        for person in DEPARTMENT_PEOPLE:
            reader = lang if person.telegram_id in people else person.language
            params = {
                "department": name_of(reader, drc),
                "enterprise": KUNHAO_NAME,
                "date": str(yesterday),
                "points": "2",
            }
            count = await notices_in(bot, person.telegram_id, start, reader, **params)
            assert count == 1, (person.name, reader, count)
        for outsider in (CONTACT, SUPERVISOR):
            params = {
                "department": name_of(lang, drc),
                "enterprise": KUNHAO_NAME,
                "date": str(yesterday),
                "points": "2",
            }
            assert await notices_in(bot, outsider, start, lang, **params) == 0
        assert_translated(lang)


@STORY
async def test_a_notice_and_a_dismissed_report(db_url: str, lang: str) -> None:
    async with running_bot(db_url) as bot:
        people = await cast(bot, lang, CONTACT, DRC, DRC_HEAD, SUPERVISOR)
        start = await mark(bot)
        # A name nobody has is refused with the real departments; nothing goes out.
        sent = await people[SUPERVISOR].send("/notice xyz 请于本周五前完成自查")
        refusal = await people[SUPERVISOR].wait_for_bot_message(
            lambda m: "xyz" in m.body and "drc" in m.body, after=sent
        )
        assert ("未找到单位" if lang == "zh" else "No department is called") in refusal.body
        sent = await people[SUPERVISOR].send("/notice 发改委,power 请于本周五前完成自查")
        preview = await wait_text(
            people[SUPERVISOR], lang, "Notice preview: not sent yet", after=sent
        )
        assert tn(lang, "{count} person in all.", "{count} people in all.", 3, count=3) in (
            preview.body
        )
        assert labels(preview) == [tr(lang, "Send"), tr(lang, "Cancel")]
        await settle(bot, sent)
        assert await outbox_rows_for(bot, DRC, "notice") == 0  # not before Send
        pressed = await press_label(people[SUPERVISOR], preview, tr(lang, "Send"))
        count = tn(
            lang,
            "The notice was sent to {count} person.",
            "The notice was sent to {count} people.",
            3,
            count=3,
        )
        await people[SUPERVISOR].wait_for_bot_message(lambda m: count in m.body, after=pressed)
        shown = await people[SUPERVISOR].message(preview.message_id)
        assert count in shown.body and not shown.buttons  # the preview became the record
        # A second tap that was already on its way (or a tampered client) changes nothing.
        data = find_button(preview, tr(lang, "Send"))
        again = await people[SUPERVISOR].press_raw(preview.message_id, data)
        await refused(
            people[SUPERVISOR],
            again,
            lang,
            "This notice was already sent, cancelled or replaced by a newer one, or it waited "
            "too long. Nothing more was sent; write /notice again if needed.",
        )
        office = bot.deps.rules.offices.supervisors  # settings.toml's supervisors' office
        signer = office.name_zh if lang == "zh" else office.name_en
        for who in (DRC, DRC_HEAD):
            got = await wait_text(
                people[who], lang, "Notice from {office}", office=signer, after=start
            )
            assert "请于本周五前完成自查" in got.body
        await settle(bot, again)
        assert await outbox_rows_for(bot, DRC, "notice") == 1  # once, for all the presses
        sent = await people[DRC].send("/notice 试试")
        refusal = "/{command} is not available to you. These are the commands you can use:"
        await wait_text(people[DRC], lang, refusal, after=sent, command="notice")
        await settle(bot, sent)
        events, _ = await bot.client.events(start, chat_id=3001)  # the government office
        assert not [e for e in events if e["type"] == "message"]

        sent = await people[CONTACT].send("/inspected qts yesterday")
        await wait_text(people[CONTACT], lang, LOOKED_INTO, after=sent)
        alert = await wait_text(
            people[SUPERVISOR],
            lang,
            "Inspection report {number}: no filing covers it.",
            number="#1",
        )
        pressed = await press_label(people[SUPERVISOR], alert, tr(lang, "Dismiss"))
        await wait_text(
            people[SUPERVISOR],
            lang,
            "Why is inspection report {number} dismissed? Your reason is recorded.",
            after=pressed,
            number="#1",
        )
        sent = await people[SUPERVISOR].send("来访为政策宣讲，不是检查")
        await wait_text(
            people[SUPERVISOR],
            lang,
            "Inspection report {number} was dismissed.",
            after=sent,
            number="#1",
        )
        await people[SUPERVISOR].wait_for_edit(
            alert,
            lambda m: (
                has(
                    m,
                    lang,
                    "Inspection report {number} dismissed by {name}: {reason}",
                    number="#1",
                    name="郑书记",
                    reason="来访为政策宣讲，不是检查",
                )
                and not m.buttons
            ),
        )
        assert await bot.db.run(lambda s: s.exec(select(Deduction)).first()) is None
        assert_translated(lang)
