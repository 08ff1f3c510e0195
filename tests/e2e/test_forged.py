"""Acceptance (3): forged and stale buttons, wrong-role commands, unknown numbers, redelivery.

Every refusal must be polite (the domain's own words, never the generic error), must change
nothing a user would notice, and must not tell anyone that a case they may not see exists.
"""

from __future__ import annotations

import asyncio

from sqlmodel import col, select

from handlers import menu
from models import Note
from models.enums import AssignmentStatus, CaseStatus
from sandbox.client import Pressed, SandboxMessage, SandboxUser
from services import callbacks
from tests.e2e.harness import Running, running_bot
from tests.e2e.helpers import (
    KUNHAO_CODE,
    STORY,
    answer_to,
    assert_translated,
    assignments_of,
    bot_messages_since,
    case_by_number,
    case_count,
    cast,
    command_refused,
    departments,
    edits_since,
    expect_silence,
    find_button,
    has,
    labels,
    latest_case,
    mark,
    outbox_rows_for,
    press_label,
    redeliver,
    redeliver_press,
    refused,
    settle,
    tr,
    wait_text,
)

DESCRIPTION = "二期增容项目的核准文件需要县发改委和县政府办尽快出具。"
NOT_VALID = "This button is not valid any more."
NO_ASSIGNMENT = "That assignment does not exist or is not yours to see."
NO_CASE = "That case does not exist or is not yours to see."
ONLY_LIAISON = "Only the liaison of the assigned department can act on assignment {number}."
ONLY_OFFICE = "Only the park's efficiency office and the optimization office can do this."
GARBAGE = (
    "zz",
    "a:ack:abc",
    "d:1:t:",
    "x" * 64,
    "a:ack:" + "1" * 58,
    "c:dsp:",
    "f::s",
    "q:rep",
    # Digits other than ASCII 0-9: int() crashed on "²" and read "١" (Arabic-Indic) as 1.
    "a:ack:²",
    "a:ack:١",
    "v1:a:ack:²",
    "v1:f:s:١",
    "v1:a:ack:1:2",
    "v9:a:ack:1",
)


async def report(bot: Running, wang: SandboxUser, lang: str, text: str = DESCRIPTION) -> str:
    """File a permits case in one line; returns its number once the contact has been told."""
    before = await case_count(bot)
    sent = await wang.send(f"/report permit {text}")
    await wang.wait_for_bot_message(after=sent, timeout=15)
    assert await case_count(bot) == before + 1
    number = (await latest_case(bot, KUNHAO_CODE)).number
    await wait_text(
        wang,
        lang,
        "Your case {number} has been received. The park's efficiency office will assign "
        "it to the departments concerned; you will be told at every step.",
        number=number,
        after=sent,
    )
    await settle(bot, sent)
    return number


async def press_stale(user: SandboxUser, message: SandboxMessage, label: str) -> Pressed:
    """A button pressed on a card as it was, by a client that has not caught up with its edit."""
    return await user.press_raw(message.message_id, find_button(message, label))


async def dispatch(bot: Running, dispatcher: SandboxUser, lang: str, number: str, codes: str):
    sent = await dispatcher.send(f"/dispatch {number} {codes}")
    await wait_text(dispatcher, lang, "Assignment orders issued:", after=sent)
    await settle(bot, sent)
    return await assignments_of(bot, number)


@STORY
async def test_forged_and_stale_buttons_are_refused_and_change_nothing(
    db_url: str, lang: str
) -> None:
    async with running_bot(db_url) as bot:
        people = await cast(bot, lang, 1001, 1002, 2002, 3001, 3002, 3005, 3101)
        wang, lina, dispatcher = people[1001], people[1002], people[2002]
        gov, drc, power, drc_head = people[3001], people[3002], people[3005], people[3101]
        number = await report(bot, wang, lang)
        orders = await dispatch(bot, dispatcher, lang, number, "drc,gov")
        drc_order, gov_order = orders["drc"], orders["gov"]
        drc_card = await wait_text(
            drc, lang, "Assignment order {number}", number=drc_order.number, after=0
        )
        gov_card = await wait_text(
            gov, lang, "Assignment order {number}", number=gov_order.number, after=0
        )
        start = await mark(bot)
        forged_ack = f"a:ack:{drc_order.id}"

        # Another department's liaison, not on the case at all: it does not exist for them.
        own = (await power.bot_messages())[-1]
        pressed = await power.press_raw(own.message_id, forged_ack)
        await refused(power, pressed, lang, NO_ASSIGNMENT)
        pressed = await power.press_raw(own.message_id, f"v1:a:ack:{drc_order.id}")
        await refused(power, pressed, lang, NO_ASSIGNMENT)
        for action in ("done", "ret", "ask", "prog", "card"):
            pressed = await power.press_raw(own.message_id, f"a:{action}:{drc_order.id}")
            await refused(power, pressed, lang, NO_ASSIGNMENT)
        # The gov liaison sees the case, but may not act for the DRC, even from their own card.
        pressed = await gov.press_raw(gov_card.message_id, forged_ack)
        await refused(gov, pressed, lang, ONLY_LIAISON, number=drc_order.number)
        pressed = await gov.press_raw(gov_card.message_id, f"a:done:{drc_order.id}")
        await refused(gov, pressed, lang, ONLY_LIAISON, number=drc_order.number)
        # The DRC's head and the enterprise may look, but the liaison alone acts.
        for person in (drc_head, wang):
            own = (await person.bot_messages())[-1]
            pressed = await person.press_raw(own.message_id, forged_ack)
            await refused(person, pressed, lang, ONLY_LIAISON, number=drc_order.number)

        # Garbage callback data: refused, no crash.
        own = (await drc.bot_messages())[-1]
        for data in GARBAGE:
            pressed = await drc.press_raw(own.message_id, data)
            await refused(drc, pressed, lang, NOT_VALID)
        pressed = await drc.press_raw(own.message_id, "a:ack:99999999")
        await refused(drc, pressed, lang, NO_ASSIGNMENT)
        pressed = await drc.press_raw(own.message_id, "a:zap:1")
        await refused(drc, pressed, lang, NOT_VALID)

        # Nothing changed: both still issued, no card edited, nobody told anything.
        now = await assignments_of(bot, number)
        assert [a.status for a in now.values()] == [AssignmentStatus.ISSUED] * 2
        await expect_silence(bot, start, wang, lina, dispatcher, gov, drc, power, drc_head)
        assert not await edits_since(gov, start)
        assert not await edits_since(drc, start)
        # ...and the bot still answers.
        sent = await drc.send("/tasks")
        tasks = await wait_text(drc, lang, "Open assignments: {count}", count=1, after=sent)
        assert labels(tasks) == [drc_order.number]

        # --- stale: Sign for twice -----------------------------------------------------------
        # A second copy of the card, opened from /tasks before signing, keeps its Sign for.
        pressed = await press_label(drc, tasks, drc_order.number)
        copy = await wait_text(
            drc, lang, "Assignment order {number}", number=drc_order.number, after=pressed
        )
        assert tr(lang, "Sign for") in labels(copy)
        step = await mark(bot)
        pressed = await press_label(drc, drc_card, tr(lang, "Sign for"))
        assert (await answer_to(drc, pressed)).text == tr(lang, "Signed for")
        await drc.wait_for_edit(drc_card, after=pressed)
        pressed = await press_stale(drc, copy, tr(lang, "Sign for"))
        await refused(
            drc, pressed, lang, "Assignment {number} is already signed for.", **_n(drc_order)
        )
        await command_refused(
            drc,
            f"/ack {drc_order.number}",
            lang,
            "Assignment {number} is already signed for.",
            number=drc_order.number,
        )
        await settle(bot, pressed)
        signed = [
            m
            for m in await bot_messages_since(wang, step)
            if has(
                m,
                lang,
                "{department} has signed for your case {number}.",
                department=_dept(lang, (await departments(bot))["drc"]),
                number=number,
            )
        ]
        assert len(signed) == 1

        # --- stale: Complete on an already completed assignment (an old card) ---------------
        sent = await drc.send("/tasks")
        tasks = await wait_text(drc, lang, "Open assignments: {count}", count=1, after=sent)
        pressed = await press_label(drc, tasks, drc_order.number)
        old_card = await wait_text(
            drc, lang, "Assignment order {number}", number=drc_order.number, after=pressed
        )
        assert tr(lang, "Complete") in labels(old_card)
        card = await drc.message(drc_card.message_id)
        pressed = await press_label(drc, card, tr(lang, "Complete"))
        await answer_to(drc, pressed)
        sent = await drc.send("核准文件已出具 / approval issued")
        await wait_text(
            drc,
            lang,
            "Assignment {number} is completed. The enterprise and the office have been told.",
            number=drc_order.number,
            after=sent,
        )
        await settle(bot, sent)
        completed = (await assignments_of(bot, number))["drc"]
        assert completed.status == AssignmentStatus.COMPLETED
        step = await mark(bot)
        for label in ("Complete", "Progress note", "Return", "Ask the enterprise"):
            pressed = await press_stale(drc, old_card, tr(lang, label))
            await refused(
                drc, pressed, lang, "Assignment {number} is already completed.", **_n(drc_order)
            )
        await command_refused(
            drc,
            f"/done {drc_order.number} again",
            lang,
            "Assignment {number} is already completed.",
            number=drc_order.number,
        )
        # Nothing is waiting for a typed answer: free text is not taken as a second result.
        sent = await drc.send("第二次结果 / a second result")
        await wait_text(
            drc, lang, "I did not understand that. Send /help to see what you can do.", after=sent
        )
        after = (await assignments_of(bot, number))["drc"]
        assert (after.status, after.completed_at, after.result) == (
            completed.status,
            completed.completed_at,
            completed.result,
        )
        await expect_silence(bot, step, wang, dispatcher, drc_head, actions=[sent])

        # --- the confirmation and reply buttons belong to the enterprise that reported -------
        case = await case_by_number(bot, number)
        for data in (f"f:{case.id}:s", "f:99999999:s"):  # another enterprise: no leak
            pressed = await lina.press_raw(1, data)
            await refused(lina, pressed, lang, NO_CASE)
        pressed = await dispatcher.press_raw(1, f"f:{case.id}:s")
        await refused(
            dispatcher,
            pressed,
            lang,
            "Only the enterprise that reported case {number} can confirm it.",
            number=number,
        )
        sent = await gov.send(f"/ask {gov_order.number} 请提供项目备案证编号。")
        await wait_text(gov, lang, "Your question was sent to the enterprise.", after=sent)
        await wait_text(wang, lang, "A question about your case {number}", number=number)
        note_id = await bot.db.run(
            lambda s: s.exec(select(Note.id).order_by(col(Note.id).desc())).first()
        )
        pressed = await lina.press_raw(1, f"q:rep:{note_id}")
        await refused(lina, pressed, lang, "That question was not sent to you.")
        sent = await lina.send("我替他们回答 / answering for them")
        await wait_text(
            lina, lang, "I did not understand that. Send /help to see what you can do.", after=sent
        )
        await expect_silence(bot, sent.seq, gov, wang, actions=[sent])
        assert (await case_by_number(bot, number)).status == CaseStatus.DISPATCHED
        assert_translated(lang)


def _n(order) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"number": order.number}


def _dept(lang: str, dept) -> str:  # type: ignore[no-untyped-def]
    return dept.name_zh if lang == "zh" else dept.name_en


@STORY
async def test_wrong_roles_and_unknown_numbers(db_url: str, lang: str) -> None:
    async with running_bot(db_url) as bot:
        people = await cast(bot, lang, 1001, 1002, 2001, 2002, 3001, 3002, 3003, 3005)
        wang, lina, officer, dispatcher = people[1001], people[1002], people[2001], people[2002]
        drc, power = people[3002], people[3005]
        number = await report(bot, wang, lang)
        start = await mark(bot)

        # An enterprise contact cannot dispatch, see the queue or have tasks; a liaison
        # cannot report, guided or in one line, nor has cases of their own. Each is told the
        # command is not theirs, with the commands that are.
        for user, text in [
            (wang, f"/dispatch {number} gov"),
            (wang, "/queue"),
            (wang, "/tasks"),
            (drc, "/report"),
            (drc, f"/report permit {DESCRIPTION}"),
            (drc, "/cases"),
        ]:
            sent = await user.send(text)
            reply = await user.wait_for_bot_message(after=sent, timeout=15)
            command = text.split()[0].removeprefix("/")
            head = "⚠️ " + tr(lang, menu.NOT_YOURS, command=command)
            assert reply.body.split("\n")[0] == head, reply.body
        assert await case_count(bot) == 1
        assert await assignments_of(bot, number) == {}
        await expect_silence(bot, start, officer, dispatcher, lina)

        # Unknown numbers, and numbers of cases one may not see, get the same answer.
        no_case = "There is no case {number} that you can see."
        no_assignment = "There is no assignment {number} that you can see."
        await command_refused(wang, "/case 2099-9999", lang, no_case, number="2099-9999")
        await command_refused(lina, "/case 2099-9999", lang, no_case, number="2099-9999")
        await command_refused(lina, f"/case {number}", lang, no_case, number=number)
        await command_refused(lina, f"/confirm {number} satisfied", lang, no_case, number=number)
        await command_refused(drc, "/ack 2099-9999-1", lang, no_assignment, number="2099-9999-1")
        await command_refused(officer, "/dispatch 2099-9999 drc", lang, no_case, number="2099-9999")
        orders = await dispatch(bot, dispatcher, lang, number, "drc")
        mine = orders["drc"].number
        # The power liaison is not on the case: the assignment does not exist for them.
        for text in (f"/ack {mine}", f"/done {mine} done", f"/return {mine} not ours"):
            await command_refused(power, text, lang, no_assignment, number=mine)
        await command_refused(power, f"/case {number}", lang, no_case, number=number)
        await command_refused(drc, f"/ack {number}-9", lang, no_assignment, number=f"{number}-9")
        # The case is readable to those concerned.
        sent = await drc.send(f"/case {number}")
        await wait_text(drc, lang, "Case {number}", number=number, after=sent)
        assert (await assignments_of(bot, number))["drc"].status == AssignmentStatus.ISSUED
        # Refusals told nobody else anything; departments not concerned heard nothing.
        await expect_silence(bot, start, people[3001], people[3003], actions=[sent])
        assert_translated(lang)


@STORY
async def test_dispatch_form_of_a_dispatched_or_closed_case(db_url: str, lang: str) -> None:
    async with running_bot(db_url) as bot:
        people = await cast(bot, lang, 1001, 2001, 2002, 3001, 3002, 3003)
        wang, officer, dispatcher = people[1001], people[2001], people[2002]
        gov, drc, epb = people[3001], people[3002], people[3003]
        depts = await departments(bot)
        number = await report(bot, wang, lang)
        case = await case_by_number(bot, number)
        announced = {
            p.user_id: await wait_text(p, lang, "New case reported", after=0)
            for p in (officer, dispatcher)
        }

        # The dispatcher opens the form; meanwhile the park officer dispatches by command.
        pressed = await press_label(dispatcher, announced[2002], tr(lang, "Dispatch"))
        form = await wait_text(
            dispatcher, lang, "Dispatch case {number}", number=number, after=pressed
        )
        await dispatch(bot, officer, lang, number, "drc")
        step = await mark(bot)
        pressed = await press_stale(
            dispatcher, form, tr(lang, "Issue assignment orders ({count})", count=2)
        )
        await refused(
            dispatcher,
            pressed,
            lang,
            "Case {number} is already assigned to {departments}.",
            number=number,
            departments="drc",
        )
        orders = await assignments_of(bot, number)
        assert list(orders) == ["drc"]
        await expect_silence(bot, step, epb, gov, wang, actions=[pressed])

        # Opened again, the form no longer offers the DRC; a forged choice of it is refused.
        pressed = await press_stale(officer, announced[2001], tr(lang, "Dispatch"))
        form = await wait_text(
            officer, lang, "Dispatch case {number}", number=number, after=pressed
        )
        assert has(form, lang, "Already assigned: {codes}", codes="drc")
        names = {label[2:].strip() for label in labels(form) if label[:1] in "✅▫"}
        assert _dept(lang, depts["drc"]) not in names
        pressed = await officer.press_raw(form.message_id, f"d:{case.id}:t:{depts['drc'].id}")
        await answer_to(officer, pressed)
        pressed = await officer.press_raw(form.message_id, f"d:{case.id}:go:0")
        await refused(
            officer,
            pressed,
            lang,
            "Case {number} is already assigned to {departments}.",
            number=number,
            departments="drc",
        )
        form = await officer.message(form.message_id)
        pressed = await press_label(officer, form, tr(lang, "Cancel"))
        await wait_text(officer, lang, "Dispatch cancelled. Nothing was issued.", after=pressed)
        # The cancelled form's Issue, pressed from a tampered client, finds no form.
        pressed = await officer.press_raw(form.message_id, f"d:{case.id}:go:0")
        await refused(
            officer,
            pressed,
            lang,
            "This dispatch form is no longer open. Press Dispatch on the case again.",
        )
        assert list(await assignments_of(bot, number)) == ["drc"]

        # Close the case; its old announcement's buttons are then refused.
        mine = orders["drc"].number
        for text in (f"/ack {mine}", f"/done {mine} 核准文件已出具 / approval issued"):
            sent = await drc.send(text)
            await drc.wait_for_bot_message(after=sent, timeout=15)
        await wait_text(
            wang, lang, "Every department has completed your case {number}.", number=number
        )
        sent = await wang.send(f"/confirm {number} satisfied")
        await wait_text(
            wang,
            lang,
            "Thank you. Case {number} is closed ({satisfaction}).",
            number=number,
            satisfaction=tr(lang, "satisfied"),
            after=sent,
        )
        await settle(bot, sent)
        step = await mark(bot)
        status = "closed"
        pressed = await press_stale(dispatcher, announced[2002], tr(lang, "Dispatch"))
        await refused(
            dispatcher,
            pressed,
            lang,
            "Case {number} cannot be dispatched now (it is {status}).",
            number=number,
            status=tr(lang, status),
        )
        await command_refused(
            dispatcher,
            f"/dispatch {number} gov",
            lang,
            "Case {number} cannot be dispatched now (it is {status}).",
            number=number,
            status=tr(lang, status),
        )
        # Decline and Ask on a closed case are refused before anyone types a reason.
        pressed = await press_stale(dispatcher, announced[2002], tr(lang, "Decline"))
        await refused(
            dispatcher,
            pressed,
            lang,
            "Case {number} is already being handled; it cannot be declined now.",
            number=number,
        )
        pressed = await press_stale(dispatcher, announced[2002], tr(lang, "Ask the enterprise"))
        await refused(
            dispatcher,
            pressed,
            lang,
            "Case {number} is no longer open for questions.",
            number=number,
        )
        # The closed case's confirmation cannot be given twice.
        pressed = await wang.press_raw(1, f"f:{case.id}:u")
        await refused(
            wang,
            pressed,
            lang,
            "Case {number} is not waiting for your confirmation.",
            number=number,
        )
        closed = await case_by_number(bot, number)
        assert closed.status == CaseStatus.CLOSED
        assert list(await assignments_of(bot, number)) == ["drc"]
        await expect_silence(bot, step, wang, gov, epb, officer, actions=[pressed])
        assert_translated(lang)


@STORY
async def test_redelivered_updates_create_nothing_twice(db_url: str, lang: str) -> None:
    async with running_bot(db_url) as bot:
        people = await cast(bot, lang, 1001, 2001, 2002, 3002)
        wang, officer, dispatcher, drc = people[1001], people[2001], people[2002], people[3002]
        sent = await wang.send(f"/report permit {DESCRIPTION}")
        await wang.wait_for_bot_message(after=sent, timeout=15)
        await settle(bot, sent)
        number = (await latest_case(bot, KUNHAO_CODE)).number
        assert has(
            (await wang.bot_messages())[-1], lang, "Follow it with /case {number}.", number=number
        )

        # The very same update again (Telegram redelivers when it was not confirmed).
        step = await mark(bot)
        await redeliver(bot, wang, sent)
        await expect_silence(bot, step, wang, officer, dispatcher)
        assert await case_count(bot) == 1

        # Even past the processed-update record (another update id carrying the same
        # message), the message's idempotency key files nothing new and tells no one again.
        await redeliver(bot, wang, sent, update_id=sent.update_id + 100_000)
        await settle(bot)
        assert await case_count(bot) == 1
        again = await bot_messages_since(wang, step)
        assert all(number in m.body for m in again), [m.body for m in again]
        await expect_silence(bot, step, officer, dispatcher)
        assert await outbox_rows_for(bot, 2001, "case.new") == 1

        # A redelivered button press: signed for once, the enterprise told once.
        orders = await dispatch(bot, dispatcher, lang, number, "drc")
        card = await wait_text(
            drc, lang, "Assignment order {number}", number=orders["drc"].number, after=0
        )
        data = callbacks.assignment("ack", orders["drc"].id)
        pressed = await press_label(drc, card, tr(lang, "Sign for"))
        await answer_to(drc, pressed)
        await settle(bot, pressed)
        step = await mark(bot)
        await redeliver_press(bot, drc, pressed, data)
        await expect_silence(bot, step, drc, wang, dispatcher)
        assert not await edits_since(drc, step)
        assert len([a for a in await drc.callback_answers() if a.data == data]) == 1
        assert await outbox_rows_for(bot, 1001, "assignment.acknowledged") == 1

        # A double tap on Submit files one case, and neither tap is answered with an error.
        sent = await wang.send("/report")
        form = await wait_text(wang, lang, "New report. What kind of problem is it?", after=sent)
        pressed = await press_label(wang, form, tr(lang, "Other"))
        await wang.wait_for_edit(form, after=pressed)
        pressed = await press_label(wang, form, tr(lang, "No particular project"))
        await wang.wait_for_edit(form, after=pressed)
        sent = await wang.send("食堂用地的规划许可 / canteen planning permit")
        prompt = await wait_text(
            wang,
            lang,
            "Add photos or documents if they help (send them now), or continue.",
            after=sent,
        )
        pressed = await press_label(wang, prompt, tr(lang, "Continue"))
        summary = await wait_text(wang, lang, "Please check your report", after=pressed)
        submit = summary.find_button(text=tr(lang, "Submit"))
        assert submit is not None and submit.callback_data
        taps = await asyncio.gather(
            wang.press(summary, data=submit.callback_data),
            wang.press(summary, data=submit.callback_data),
        )
        answers = [await answer_to(wang, tap) for tap in taps]
        await settle(bot, *taps)
        assert await case_count(bot) == 2
        allowed = {
            tr(lang, "Submitted"),
            tr(lang, "This report form is no longer open. Send /report to start again."),
        }
        assert {a.text for a in answers} <= allowed, answers
        assert await outbox_rows_for(bot, 2001, "case.new") == 2

        # Two quick taps on the dispatch form: both choices count; Issue twice issues once.
        second = (await latest_case(bot, KUNHAO_CODE)).number
        announced = await wait_text(dispatcher, lang, "Case {number}", number=second, after=taps[0])
        pressed = await press_label(dispatcher, announced, tr(lang, "Dispatch"))
        form = await wait_text(
            dispatcher, lang, "Dispatch case {number}", number=second, after=pressed
        )
        depts = await departments(bot)
        toggles = [find_button(form, "▫️ " + _dept(lang, depts[c])) for c in ("gov", "egov")]
        taps = await asyncio.gather(*(dispatcher.press(form, data=d) for d in toggles))
        await settle(bot, *taps)
        form = await dispatcher.message(form.message_id)
        issue = find_button(form, tr(lang, "Issue assignment orders ({count})", count=2))
        taps = await asyncio.gather(
            dispatcher.press(form, data=issue), dispatcher.press(form, data=issue)
        )
        answers = [await answer_to(dispatcher, tap) for tap in taps]
        await settle(bot, *taps)
        assert sorted(await assignments_of(bot, second)) == ["egov", "gov"]
        allowed = {
            tr(lang, "Issued"),
            tr(lang, "This dispatch form is no longer open. Press Dispatch on the case again."),
        }
        assert {a.text for a in answers} <= allowed, answers
        assert_translated(lang)


@STORY
async def test_double_taps_on_sign_for_and_satisfied_act_once(db_url: str, lang: str) -> None:
    """Two taps arrive together and are handled concurrently: the second one is refused."""
    async with running_bot(db_url) as bot:
        people = await cast(bot, lang, 1001, 2001, 2002, 3002)
        wang, officer, dispatcher, drc = people[1001], people[2001], people[2002], people[3002]
        number = await report(bot, wang, lang)
        orders = await dispatch(bot, dispatcher, lang, number, "drc")
        mine = orders["drc"].number
        card = await wait_text(drc, lang, "Assignment order {number}", number=mine, after=0)
        step = await mark(bot)
        sign = find_button(card, tr(lang, "Sign for"))
        taps = await asyncio.gather(drc.press(card, data=sign), drc.press(card, data=sign))
        answers = sorted([(await answer_to(drc, tap)).text for tap in taps])
        assert answers == sorted(
            [
                tr(lang, "Signed for"),
                tr(lang, "Assignment {number} is already signed for.", number=mine),
            ]
        )
        await settle(bot, *taps)
        signed = [
            m
            for m in await bot_messages_since(wang, step)
            if m.body.startswith("✍️")  # "{department} has signed for your case {number}."
        ]
        assert len(signed) == 1, [m.body for m in signed]

        sent = await drc.send(f"/done {mine} 核准文件已出具 / approval issued")
        closing = await wait_text(
            wang, lang, "Every department has completed your case {number}.", number=number
        )
        await settle(bot, sent)
        step = await mark(bot)
        satisfied = find_button(closing, tr(lang, "Satisfied"))
        taps = await asyncio.gather(
            wang.press(closing, data=satisfied), wang.press(closing, data=satisfied)
        )
        answers = sorted([(await answer_to(wang, tap)).text for tap in taps])
        assert answers == sorted(
            [
                tr(lang, "Thank you"),
                tr(lang, "Case {number} is not waiting for your confirmation.", number=number),
            ]
        )
        await settle(bot, *taps)
        for person in (officer, dispatcher):
            closed = [
                m
                for m in await bot_messages_since(person, step)
                if has(
                    m,
                    lang,
                    "Case {number} closed: the enterprise is {satisfaction}.",
                    number=number,
                    satisfaction=tr(lang, "satisfied"),
                )
            ]
            assert len(closed) == 1
        assert (await case_by_number(bot, number)).status == CaseStatus.CLOSED
        assert_translated(lang)


@STORY
async def test_buttons_sent_before_the_versioned_data_keep_working(db_url: str, lang: str) -> None:
    """A card in a chat from before the codec carries a:ack:<id>; pressing it still signs for."""
    async with running_bot(db_url) as bot:
        people = await cast(bot, lang, 1001, 1002, 2002, 3002)
        wang, dispatcher, drc = people[1001], people[2002], people[3002]
        number = await report(bot, wang, lang)
        order = (await dispatch(bot, dispatcher, lang, number, "drc"))["drc"]
        card = await wait_text(drc, lang, "Assignment order {number}", number=order.number, after=0)
        assert find_button(card, tr(lang, "Sign for")) == callbacks.assignment("ack", order.id)
        pressed = await drc.press_raw(card.message_id, f"a:ack:{order.id}")
        assert (await answer_to(drc, pressed)).text == tr(lang, "Signed for")
        await settle(bot, pressed)
        assert (await assignments_of(bot, number))["drc"].status == AssignmentStatus.ACKNOWLEDGED
        assert_translated(lang)
