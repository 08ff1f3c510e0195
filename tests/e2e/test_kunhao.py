"""Acceptance (1): the Kunhao story, permits across four departments at once, zh and en.

坤昊实业's contact reports through the guided /report with a photo; the park officer dispatches
to the county government office, the DRC, the EPB and the e-government office together; each
liaison signs for and completes; the enterprise confirms satisfied. Every party sees what it
should, and the departments not concerned see nothing.
"""

from __future__ import annotations

import asyncio
import re

from models.enums import AssignmentStatus, CaseStatus, Satisfaction
from tests.e2e.harness import running_bot
from tests.e2e.helpers import (
    KUNHAO_CODE,
    KUNHAO_NAME,
    KUNHAO_PROJECT,
    PHOTO,
    STORY,
    answer_to,
    assert_translated,
    assignments_of,
    bot_messages_since,
    card_lines,
    case_by_number,
    cast,
    category,
    departments,
    expect_silence,
    has,
    labels,
    latest_case,
    local,
    mark,
    missing_lines,
    outbox_rows_for,
    press_label,
    rows,
    settle,
    tr,
    user_id,
    wait_photo,
    wait_text,
)

DESCRIPTION = (
    "二期增容项目需要县里的核准、环评批复和电子政务备案，省里的审批窗口10天后关闭，请尽快协调。"
)
CAPTION = "项目现场 / site photo"
ORDER = ("gov", "drc", "epb", "egov")
LIAISONS = {"gov": 3001, "drc": 3002, "epb": 3003, "egov": 3004}


@STORY
async def test_kunhao_permits_four_departments_same_day(db_url: str, lang: str) -> None:
    async with running_bot(db_url) as bot:
        people = await cast(
            bot, lang, 1001, 2001, 2002, 3001, 3002, 3003, 3004, 3005, 3006, 3101, 4001, 4002
        )
        wang, officer, dispatcher = people[1001], people[2001], people[2002]
        liaison = {code: people[tid] for code, tid in LIAISONS.items()}
        bystanders = [people[3005], people[3006]]  # power and water: not concerned
        drc_head, supervisor, conch_head = people[3101], people[4001], people[4002]
        depts = await departments(bot)

        # --- the guided report --------------------------------------------------------------
        start = await mark(bot)
        sent = await wang.send("/report")
        form = await wait_text(wang, lang, "New report. What kind of problem is it?", after=sent)
        assert labels(form) == [
            category(lang, c) for c in ("permit", "utility", "land", "dispute", "other")
        ]
        pressed = await press_label(wang, form, category(lang, "permit"))
        form = await wang.wait_for_edit(form, after=pressed)
        assert has(form, lang, "Which project is it about?")
        assert labels(form) == [KUNHAO_PROJECT, tr(lang, "No particular project")]
        pressed = await press_label(wang, form, KUNHAO_PROJECT)
        form = await wang.wait_for_edit(form, after=pressed)
        assert has(
            form,
            lang,
            "Describe the problem in your own words: what is needed, by when, "
            "and what is blocking it.",
        )
        sent = await wang.send(DESCRIPTION)
        await wait_text(
            wang,
            lang,
            "Add photos or documents if they help (send them now), or continue.",
            after=sent,
        )
        sent = await wang.send_photo(PHOTO, caption=CAPTION)
        attached = await wait_text(
            wang, lang, "Attached ({count}). Send more, or continue.", count=1, after=sent
        )
        pressed = await press_label(wang, attached, tr(lang, "Continue"))
        summary = await wang.wait_for_edit(attached, after=pressed)
        assert not missing_lines(
            summary,
            [
                tr(lang, "Please check your report"),
                tr(lang, "Category: {category}", category=category(lang, "permit")),
                tr(lang, "Project: {name}", name=KUNHAO_PROJECT),
                DESCRIPTION,
                tr(lang, "Attachments: {count}", count=1),
            ],
        ), summary.body
        assert rows(summary) == [
            [tr(lang, "Submit")],
            [tr(lang, "Edit"), tr(lang, "Cancel")],
        ]
        # Until Submit nothing is received: nobody in the office has heard of it.
        await expect_silence(bot, start, officer, dispatcher, actions=[sent, pressed])

        pressed = await press_label(wang, summary, tr(lang, "Submit"))
        assert (await answer_to(wang, pressed)).text == tr(lang, "Submitted")
        case = await latest_case(bot, KUNHAO_CODE)
        number = case.number
        assert re.fullmatch(r"\d{4}-\d{4}", number)
        receipt = await wait_text(
            wang,
            lang,
            "Your case {number} has been received. The park's efficiency office will assign "
            "it to the departments concerned; you will be told at every step.",
            number=number,
            after=pressed,
        )
        assert has(receipt, lang, "Follow it with /case {number}.", number=number)
        submitted = await wang.message(summary.message_id)
        assert has(submitted, lang, "Report submitted as case {number}.", number=number)
        assert submitted.buttons == []  # the form cannot be submitted twice
        assert case.status == CaseStatus.NEW and case.category == "permit"

        # --- the announcement to the park office and the optimization office ---------------
        announced = {}
        for person in (officer, dispatcher):
            message = await wait_text(person, lang, "New case reported", after=start)
            assert not missing_lines(
                message,
                [
                    tr(lang, "Case {number}", number=number),
                    tr(lang, "Enterprise: {name}", name=KUNHAO_NAME),
                    tr(lang, "Project: {name}", name=KUNHAO_PROJECT),
                    tr(lang, "Category: {category}", category=category(lang, "permit")),
                    DESCRIPTION,
                    tr(lang, "Attachments: {count}", count=1),
                ],
            ), message.body
            assert rows(message) == [
                [tr(lang, "Dispatch")],
                [tr(lang, "Ask the enterprise"), tr(lang, "Decline")],
            ]
            photo = await wait_photo(person)
            assert photo.caption == CAPTION
            announced[person.user_id] = message
        await expect_silence(
            bot, start, *liaison.values(), *bystanders, drc_head, supervisor, actions=[pressed]
        )

        # --- the park officer dispatches to four departments at once -----------------------
        before_dispatch = await mark(bot)
        pressed = await press_label(officer, announced[2001], tr(lang, "Dispatch"))
        form = await wait_text(
            officer, lang, "Dispatch case {number}", number=number, after=pressed
        )
        default_due = bot.deps.rules.calendar.add(
            case.created_at, bot.deps.rules.sla("permit").completion
        )
        assert has(form, lang, "Deadline: {due}", due=local(default_due))
        assert tr(lang, "(the category's default)") in form.body

        def selected(message) -> set[str]:  # type: ignore[no-untyped-def]
            return {
                label.removeprefix("✅ ") for label in labels(message) if label.startswith("✅ ")
            }

        def name(code: str) -> str:
            return depts[code].name_zh if lang == "zh" else depts[code].name_en

        assert selected(form) == {name("drc"), name("epb")}  # the category's defaults
        for code in ("gov", "egov"):
            pressed = await press_label(officer, form, "▫️ " + name(code))
            form = await officer.wait_for_edit(form, after=pressed)
        assert selected(form) == {name(c) for c in ORDER}
        assert tr(lang, "Issue assignment orders ({count})", count=4) in labels(form)
        pressed = await press_label(
            officer, form, tr(lang, "Issue assignment orders ({count})", count=4)
        )
        assert (await answer_to(officer, pressed)).text == tr(lang, "Issued")
        issued_form = await officer.wait_for_edit(form, after=pressed)
        assert has(issued_form, lang, "Assignment orders issued:")
        assert issued_form.buttons == []

        orders = await assignments_of(bot, number)
        assert sorted(orders) == sorted(ORDER)
        assert sorted(a.number for a in orders.values()) == [f"{number}-{i}" for i in range(1, 5)]
        assert len({a.issued_at for a in orders.values()}) == 1  # the same moment
        for a in orders.values():
            assert a.status == AssignmentStatus.ISSUED
            assert a.number in issued_form.body
            assert local(a.due_at) == local(default_due)  # the default deadline was kept

        # Each liaison gets exactly their own card, then the enterprise's photo.
        cards = {}
        for code in ORDER:
            person, order = liaison[code], orders[code]
            card = await wait_text(
                person, lang, "Assignment order {number}", number=order.number, after=pressed
            )
            missing = missing_lines(
                card,
                card_lines(
                    bot,
                    lang,
                    order,
                    depts[code],
                    case_number=number,
                    enterprise=KUNHAO_NAME,
                    project=KUNHAO_PROJECT,
                    category_code="permit",
                    description=DESCRIPTION,
                    status="issued, not signed for",
                ),
            )
            assert not missing, (missing, card.body)
            assert rows(card) == [
                [tr(lang, "Sign for")],
                [tr(lang, "Return"), tr(lang, "Ask the enterprise")],
                [tr(lang, "Request extension"), tr(lang, "Pause the clock")],
            ]
            photo = await wait_photo(person)
            assert photo.caption == CAPTION
            cards[code] = card
        dispatched = await wait_text(
            wang,
            lang,
            "Your case {number} has been assigned to: {departments}.",
            number=number,
            departments=", ".join(name(c) for c in ("drc", "epb", "gov", "egov")),
            after=pressed,
        )
        assert has(dispatched, lang, "Deadline: {due}", due=local(default_due))
        await settle(bot, pressed)
        for code in ORDER:
            got = await bot_messages_since(liaison[code], before_dispatch)
            assert len(got) == 2, [m.body[:60] for m in got]  # the card and the photo
            assert [o.number in got[0].body for o in orders.values()].count(True) == 1
        await expect_silence(bot, before_dispatch, *bystanders, drc_head, supervisor)
        # Kunhao's project is not a major one: nobody is copied as its efficiency head.
        assert await outbox_rows_for(bot, 4002, "assignment.issued.copy") == 0
        assert not [
            m
            for m in await bot_messages_since(conch_head, before_dispatch)
            if has(m, lang, "Copy for the major project's efficiency head")
        ]

        # --- each liaison signs for ---------------------------------------------------------
        for code in ORDER:
            person, order = liaison[code], orders[code]
            pressed = await press_label(person, cards[code], tr(lang, "Sign for"))
            assert (await answer_to(person, pressed)).text == tr(lang, "Signed for")
            card = await person.wait_for_edit(cards[code], after=pressed)
            assert has(card, lang, "Status: {status}", status=tr(lang, "signed for, in progress"))
            assert rows(card) == [
                [tr(lang, "Complete")],
                [tr(lang, "Progress note"), tr(lang, "Ask the enterprise")],
                [tr(lang, "Return")],
                [tr(lang, "Request extension"), tr(lang, "Pause the clock")],
            ]
            cards[code] = card
            await wait_text(
                wang,
                lang,
                "{department} has signed for your case {number}.",
                department=name(code),
                number=number,
                after=pressed,
            )
        signed = await assignments_of(bot, number)
        assert all(a.status == AssignmentStatus.ACKNOWLEDGED for a in signed.values())
        assert {a.acknowledged_by_user_id for a in signed.values()} == {
            await user_id(bot, LIAISONS[c]) for c in ORDER
        }

        # --- each completes: the Complete button, then the result typed ----------------------
        results = {code: f"{name(code)}: 已办结 / done for {KUNHAO_NAME}" for code in ORDER}
        for index, code in enumerate(ORDER, start=1):
            person, order = liaison[code], orders[code]
            step = await mark(bot)
            pressed = await press_label(person, cards[code], tr(lang, "Complete"))
            await wait_text(
                person,
                lang,
                "Describe the result of {number}: what was done for the enterprise. "
                "Send photos or documents first if you have any. (/cancel to stop)",
                number=order.number,
                after=pressed,
            )
            sent = await person.send(results[code])
            await wait_text(
                person,
                lang,
                "Assignment {number} is completed. The enterprise and the office have been told.",
                number=order.number,
                after=sent,
            )
            told = {
                "department": name(code),
                "number": order.number,
            }
            for party in (wang, officer, dispatcher):
                message = await wait_text(
                    party, lang, "{department} completed assignment {number}.", **told, after=sent
                )
                assert has(message, lang, "Result: {result}", result=results[code])
            if code == "drc":
                await wait_text(
                    drc_head,
                    lang,
                    "{department} completed assignment {number}.",
                    **told,
                    after=sent,
                )
            await settle(bot, sent)
            confirm_asked = [
                m
                for m in await bot_messages_since(wang, step)
                if has(m, lang, "Every department has completed your case {number}.", number=number)
            ]
            assert len(confirm_asked) == (1 if index == len(ORDER) else 0)
            # The DRC head hears only of the DRC's own assignment.
            assert len(await bot_messages_since(drc_head, step)) == (1 if code == "drc" else 0)
            await expect_silence(bot, step, *bystanders, supervisor)

        closing = confirm_asked[0]
        assert rows(closing) == [
            [tr(lang, "Satisfied"), tr(lang, "Mostly satisfied")],
            [tr(lang, "Not satisfied")],
        ]
        case = await case_by_number(bot, number)
        assert case.status == CaseStatus.AWAITING_CONFIRMATION
        assert has(
            closing,
            lang,
            "Are you satisfied with how it was handled? Please answer by {due}; "
            "without an answer the case is closed as confirmed.",
            due=local(case.confirm_due_at),
        )

        # --- the enterprise is satisfied: the case is closed --------------------------------
        pressed = await press_label(wang, closing, tr(lang, "Satisfied"))
        assert (await answer_to(wang, pressed)).text == tr(lang, "Thank you")
        thanked = await wang.wait_for_edit(closing, after=pressed)
        assert has(
            thanked, lang, "Closed: you are {satisfaction}.", satisfaction=tr(lang, "satisfied")
        )
        assert thanked.buttons == []
        for party in (officer, dispatcher):
            await wait_text(
                party,
                lang,
                "Case {number} closed: the enterprise is {satisfaction}.",
                number=number,
                satisfaction=tr(lang, "satisfied"),
                after=pressed,
            )
        case = await case_by_number(bot, number)
        assert case.status == CaseStatus.CLOSED
        assert case.satisfaction == Satisfaction.SATISFIED
        assert not case.confirmed_by_default

        # --- /case shows the timeline with all four completions; /cases lists it closed -----
        sent = await wang.send(f"/case {number}")
        shown = await wait_text(wang, lang, "Case {number}", number=number, after=sent)
        final = await assignments_of(bot, number)
        expected = [
            tr(lang, "Enterprise: {name}", name=KUNHAO_NAME),
            tr(lang, "Project: {name}", name=KUNHAO_PROJECT),
            tr(lang, "Timeline"),
            tr(lang, "Reported"),
            tr(lang, "Closed: {satisfaction}", satisfaction=tr(lang, "satisfied")),
        ]
        for code in ORDER:
            a = final[code]
            assert a.status == AssignmentStatus.COMPLETED
            expected += [
                tr(lang, "Assigned to {dept} ({number})", dept=name(code), number=a.number),
                tr(lang, "Signed for by {dept}", dept=name(code)),
                tr(lang, "Completed by {dept}: {result}", dept=name(code), result=results[code]),
                tr(
                    lang,
                    "{number} · {department} · {status} · due {due}",
                    number=a.number,
                    department=name(code),
                    status=tr(lang, "completed"),
                    due=local(a.due_at),
                ),
            ]
        assert not missing_lines(shown, expected), (missing_lines(shown, expected), shown.body)
        assert f"{tr(lang, 'Case {number}', number=number)} · {tr(lang, 'closed')}" in shown.body

        sent = await wang.send("/cases")
        listed = await wait_text(wang, lang, "Case {number}", number=number, after=sent)
        assert f"{tr(lang, 'Case {number}', number=number)} · {tr(lang, 'closed')}" in listed.body
        await expect_silence(bot, start, *bystanders, supervisor, actions=[sent])
        assert_translated(lang)


async def test_each_party_reads_the_case_in_their_own_language(db_url: str) -> None:
    """Owed messages are rendered per recipient: zh and en readers of the same case."""
    async with running_bot(db_url) as bot:
        zh_people = await cast(bot, "zh", 1001, 2001, 3002)
        en_people = await cast(bot, "en", 2002, 3003)
        wang, officer, drc = zh_people[1001], zh_people[2001], zh_people[3002]
        dispatcher, epb = en_people[2002], en_people[3003]
        depts = await departments(bot)
        sent = await wang.send(f"/report permit {DESCRIPTION}")
        await wang.wait_for_bot_message(after=sent, timeout=15)
        number = (await latest_case(bot, KUNHAO_CODE)).number
        assert has(
            (await wang.bot_messages())[-1], "zh", "Follow it with /case {number}.", number=number
        )
        zh, en = await asyncio.gather(
            wait_text(officer, "zh", "New case reported", after=sent),
            wait_text(dispatcher, "en", "New case reported", after=sent),
        )
        assert rows(zh)[0] == [tr("zh", "Dispatch")] and rows(en)[0] == ["Dispatch"]
        assert tr("zh", "Dispatch") != "Dispatch"
        assert f"Enterprise: {KUNHAO_NAME}" in en.body and "Enterprise: " not in zh.body
        assert tr("zh", "Enterprise: {name}", name=KUNHAO_NAME) in zh.body

        sent = await dispatcher.send(f"/dispatch {number} drc,epb")
        await wait_text(dispatcher, "en", "Assignment orders issued:", after=sent)
        zh_card, en_card = await asyncio.gather(
            wait_text(drc, "zh", "Assignment order {number}", number=f"{number}-1", after=sent),
            wait_text(epb, "en", "Assignment order {number}", number=f"{number}-2", after=sent),
        )
        assert has(zh_card, "zh", "To: {department}", department=depts["drc"].name_zh)
        assert has(en_card, "en", "To: {department}", department=depts["epb"].name_en)
        assert rows(zh_card)[0] == [tr("zh", "Sign for")] and rows(en_card)[0] == ["Sign for"]
        assert tr("zh", "Sign for") != "Sign for"
        await wait_text(
            wang,
            "zh",
            "Your case {number} has been assigned to: {departments}.",
            number=number,
            departments=f"{depts['drc'].name_zh}, {depts['epb'].name_zh}",
            after=sent,
        )
        assert_translated("zh")
