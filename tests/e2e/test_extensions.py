"""Acceptance: extensions and pauses in chat, zh and en, across the 2026 National Day week.

The liaison asks for a later deadline from the card; the dispatcher approves it with a button
(a second tap elsewhere is refused politely); the new deadline shows on the card and in the
case timeline. A second request is denied with a reason. A pause asks the enterprise; its
answer after the holiday week moves the deadline by the working time the clock stood still.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from models import DeadlineChange
from tests.e2e.harness import Running, running_bot
from tests.e2e.helpers import (
    STORY,
    answer_to,
    assert_translated,
    assignments_of,
    cast,
    departments,
    dept_label,
    has,
    press_label,
    refused,
    settle,
    tr,
    wait_text,
)
from tests.e2e.test_forged import dispatch, report


def at(bot: Running, month: int, day: int, hour: int = 10) -> None:
    """Stop the bot's clock at a Shanghai wall-clock time in 2026."""
    bot.deps.rules = bot.deps.rules.at(datetime(2026, month, day, hour - 8, tzinfo=UTC))


def local_due(month: int, day: int) -> str:
    return f"2026-{month:02d}-{day:02d} 18:00"


async def last_change(bot: Running) -> DeadlineChange:
    def find(session: Session) -> DeadlineChange:
        return session.exec(select(DeadlineChange).order_by(col(DeadlineChange.id).desc())).first()  # type: ignore[return-value]

    return await bot.db.run(find)


@STORY
async def test_extension_approved_denied_and_a_pause(db_url: str, lang: str) -> None:
    async with running_bot(db_url) as bot:
        people = await cast(bot, lang, 1001, 2001, 2002, 3002, 3101)
        wang, officer, dispatcher = people[1001], people[2001], people[2002]
        drc, head = people[3002], people[3101]
        at(bot, 9, 28)  # Monday before the National Day week
        number = await report(bot, wang, lang)
        order = (await dispatch(bot, dispatcher, lang, number, "drc"))["drc"]
        drc_name = dept_label(lang, (await departments(bot))["drc"])
        card = await wait_text(drc, lang, "Assignment order {number}", number=order.number)
        assert local_due(10, 10) in card.body  # 5 working days, the 10th a make-up Saturday

        # --- request from the card, approve with a button ----------------------------------
        at(bot, 9, 29)
        pressed = await press_label(drc, card, tr(lang, "Request extension"))
        await wait_text(
            drc,
            lang,
            "Write the new deadline for {number}, then the reason, e.g. "
            "2026-10-20 waiting for the survey report. (/cancel to stop)",
            number=order.number,
            after=pressed,
        )
        sent = await drc.send("2026-10-20 等待省级批复")
        await wait_text(
            drc,
            lang,
            "Your extension request for {number} was sent to the dispatchers.",
            number=order.number,
            after=sent,
        )
        await settle(bot, sent)
        asked = await wait_text(
            dispatcher,
            lang,
            "{department} asks to extend assignment {number}.",
            department=drc_name,
            number=order.number,
        )
        assert has(asked, lang, "Requested deadline: {due}", due=local_due(10, 20))
        copy = await wait_text(officer, lang, "Requested deadline: {due}", due=local_due(10, 20))
        approved = tr(
            lang,
            "The extension of assignment {number} (case {case}) was approved. New deadline: {due}",
            number=order.number,
            case=number,
            due=local_due(10, 20),
        )
        pressed = await press_label(dispatcher, asked, tr(lang, "Approve"))
        assert (await answer_to(dispatcher, pressed)).text == tr(lang, "Approved")
        await dispatcher.wait_for_edit(asked, after=pressed)
        twice = await press_label(officer, copy, tr(lang, "Approve"))
        await refused(
            officer,
            twice,
            lang,
            "The extension of assignment {number} has already been decided.",
            number=order.number,
        )
        await settle(bot, pressed, twice)
        for person in (drc, head, wang):
            notice = await person.wait_for_bot_message(lambda m: approved in m.body, after=0)
            assert notice is not None
        sent = await drc.send("/tasks")
        tasks = await wait_text(drc, lang, "Open assignments: {count}", count=1, after=sent)
        pressed = await press_label(drc, tasks, order.number)
        card = await wait_text(
            drc, lang, "Assignment order {number}", number=order.number, after=pressed
        )
        assert local_due(10, 20) in card.body

        # --- a second request, denied with a reason --------------------------------------------
        sent = await drc.send(f"/extend {order.number} 2026-10-27 还需现场踏勘")
        await wait_text(drc, lang, "Requested deadline: {due}", due=local_due(10, 27), after=sent)
        await settle(bot, sent)
        asked = await wait_text(
            dispatcher, lang, "Requested deadline: {due}", due=local_due(10, 27)
        )
        pressed = await press_label(dispatcher, asked, tr(lang, "Deny"))
        await wait_text(
            dispatcher,
            lang,
            "Why is the extension of {number} denied? The liaison will read your reason.",
            number=order.number,
            after=pressed,
        )
        sent = await dispatcher.send("材料已齐，请按期办结")
        await wait_text(
            dispatcher,
            lang,
            "The extension of {number} was denied; the liaison has been told why.",
            number=order.number,
            after=sent,
        )
        await settle(bot, sent)
        denial = await wait_text(
            drc,
            lang,
            "The extension of assignment {number} was denied. The deadline stays {due}.",
            number=order.number,
            due=local_due(10, 20),
        )
        assert has(denial, lang, "Reason: {reason}", reason="材料已齐，请按期办结")

        # --- a pause over the holiday week -----------------------------------------------------
        at(bot, 9, 30)
        sent = await drc.send(f"/pause {order.number} 请补充营业执照副本")
        await wait_text(
            drc,
            lang,
            "The clock of {number} is paused; the enterprise has been asked.",
            number=order.number,
            after=sent,
        )
        await settle(bot, sent)
        question = await wang.wait_for_bot_message(
            lambda m: "请补充营业执照副本" in m.body, after=0
        )
        at(bot, 10, 9)  # Friday after the holiday week: 2 working days stood still
        pressed = await press_label(wang, question, tr(lang, "Reply"))
        await settle(bot, pressed)
        sent = await wang.send("已上传副本")
        await settle(bot, sent)
        await wait_text(
            drc,
            lang,
            "The enterprise answered; the clock of assignment {number} runs again. "
            "New deadline: {due}",
            number=order.number,
            due=local_due(10, 22),
        )
        change = await last_change(bot)
        assert change.paused_until is not None and change.new_due_at is not None
        assert (await assignments_of(bot, number))["drc"].due_at == change.new_due_at

        # --- the timeline ----------------------------------------------------------------------
        sent = await dispatcher.send(f"/case {number}")
        view = await wait_text(dispatcher, lang, "Timeline", after=sent)
        for msgid, params in (
            ("Extension of {number} approved: new deadline {due}", {"due": local_due(10, 20)}),
            ("Extension of {number} denied: {reason}", {"reason": "材料已齐，请按期办结"}),
            (
                "Clock of {number} paused, waiting for the enterprise: {reason}",
                {"reason": "请补充营业执照副本"},
            ),
            ("Clock of {number} running again: new deadline {due}", {"due": local_due(10, 22)}),
        ):
            assert has(view, lang, msgid, number=order.number, **params), msgid
        assert_translated(lang)
