"""Acceptance (2): the Conch Cement pipeline dispute, zh and en.

Li Na reports a dispute about the water-intake pipeline (a major project, so its efficiency
head is copied); the dispatcher assigns it to the water bureau by command; the water liaison
returns it; the dispatcher re-dispatches to the county government office through the form;
the gov liaison asks the enterprise a question and gets the answer, completes; Li Na is not
satisfied, which reopens the assignment; it is completed again and she confirms by command.
"""

from __future__ import annotations

from models.enums import AssignmentStatus, CaseStatus, Satisfaction
from tests.e2e.harness import running_bot
from tests.e2e.helpers import (
    CONCH_CODE,
    CONCH_NAME,
    CONCH_PROJECT,
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
    press_label,
    rows,
    settle,
    tr,
    wait_text,
)

DESCRIPTION = (
    "Villagers near the water-intake pipeline route have stopped construction (阻工) for three "
    "days over compensation; the pipeline must be finished before the dry season."
)
RETURN_REASON = "Not the water bureau's matter: it is a compensation dispute for the township."
QUESTION = "Which villages are involved, and who is your site manager we can call?"
ANSWER = "Xiaoshi and Dalu villages; site manager Mr. Zhou, 138-0000-0000."
FIRST_RESULT = "Met the villagers with the township; construction resumed on the 3rd."
COMPLAINT = "Work stopped again at the river crossing; the compensation was not paid yet."
SECOND_RESULT = "Compensation paid through the township on the 5th; the crossing is open."


@STORY
async def test_conch_dispute_return_question_and_reopen(db_url: str, lang: str) -> None:
    async with running_bot(db_url) as bot:
        people = await cast(bot, lang, 1001, 1002, 2001, 2002, 3001, 3006, 3007, 4002)
        lina, officer, dispatcher = people[1002], people[2001], people[2002]
        gov, water, police, head = people[3001], people[3006], people[3007], people[4002]
        wang = people[1001]  # another enterprise: must hear nothing of Conch's case
        depts = await departments(bot)

        def name(code: str) -> str:
            return depts[code].name_zh if lang == "zh" else depts[code].name_en

        start = await mark(bot)

        # --- Li Na reports the dispute about the pipeline project --------------------------
        sent = await lina.send("/report")
        form = await wait_text(lina, lang, "New report. What kind of problem is it?", after=sent)
        pressed = await press_label(lina, form, category(lang, "dispute"))
        form = await lina.wait_for_edit(form, after=pressed)
        pressed = await press_label(lina, form, CONCH_PROJECT)
        form = await lina.wait_for_edit(form, after=pressed)
        sent = await lina.send(DESCRIPTION)
        prompt = await wait_text(
            lina,
            lang,
            "Add photos or documents if they help (send them now), or continue.",
            after=sent,
        )
        pressed = await press_label(lina, prompt, tr(lang, "Continue"))
        summary = await wait_text(lina, lang, "Please check your report", after=pressed)
        assert has(summary, lang, "Attachments: {count}", count=0)
        pressed = await press_label(lina, summary, tr(lang, "Submit"))
        assert (await answer_to(lina, pressed)).text == tr(lang, "Submitted")
        case = await latest_case(bot, CONCH_CODE)
        number = case.number
        await wait_text(lina, lang, "Report submitted as case {number}.", number=number)
        for person in (officer, dispatcher, head):
            message = await wait_text(person, lang, "New case reported", after=start)
            assert has(message, lang, "Case {number}", number=number)
            assert (
                tr(lang, "Project: {name}", name=CONCH_PROJECT) + " · " + tr(lang, "major project")
                in message.body
            )
            assert has(message, lang, "Category: {category}", category=category(lang, "dispute"))

        # --- the dispatcher assigns it to the water bureau by command ----------------------
        step = await mark(bot)
        sent = await dispatcher.send(f"/dispatch {number} water")
        reply = await wait_text(dispatcher, lang, "Assignment orders issued:", after=sent)
        assert f"{number}-1" in reply.body
        orders = await assignments_of(bot, number)
        assert list(orders) == ["water"]
        first = orders["water"]
        lines = card_lines(
            bot,
            lang,
            first,
            depts["water"],
            case_number=number,
            enterprise=CONCH_NAME,
            project=CONCH_PROJECT,
            category_code="dispute",
            description=DESCRIPTION,
            status="issued, not signed for",
            major=True,
        )
        card = await wait_text(
            water, lang, "Assignment order {number}", number=first.number, after=sent
        )
        assert not missing_lines(card, lines), (missing_lines(card, lines), card.body)
        # The major project's efficiency head gets a copy, without the liaison's buttons.
        copy = await wait_text(
            head, lang, "Copy for the major project's efficiency head", after=sent
        )
        assert not missing_lines(copy, lines), (missing_lines(copy, lines), copy.body)
        assert copy.buttons == []
        await wait_text(
            lina,
            lang,
            "Your case {number} has been assigned to: {departments}.",
            number=number,
            departments=name("water"),
            after=sent,
        )
        await expect_silence(bot, step, gov, police, wang, actions=[sent])

        # --- the water liaison returns it with a reason ------------------------------------
        step = await mark(bot)
        pressed = await press_label(water, card, tr(lang, "Return"))
        await wait_text(
            water,
            lang,
            "Why is assignment {number} not your department's? Name the right "
            "department if you know it. (/cancel to stop)",
            number=first.number,
            after=pressed,
        )
        sent = await water.send(RETURN_REASON)
        await wait_text(
            water,
            lang,
            "Assignment {number} was returned to the dispatcher.",
            number=first.number,
            after=sent,
        )
        returned = {}
        for person in (dispatcher, officer):
            message = await wait_text(
                person,
                lang,
                "{department} returned assignment {number}.",
                department=name("water"),
                number=first.number,
                after=sent,
            )
            assert has(message, lang, "Reason: {reason}", reason=RETURN_REASON)
            assert has(message, lang, "Case {number}", number=number)
            assert labels(message) == [tr(lang, "Re-dispatch")]
            returned[person.user_id] = message
        await expect_silence(bot, step, gov, police, wang, actions=[sent])
        assert (await assignments_of(bot, number))["water"].status == AssignmentStatus.RETURNED
        assert (await case_by_number(bot, number)).status == CaseStatus.NEW

        # /queue shows the case with the liaison's reason.
        sent = await dispatcher.send("/queue")
        await wait_text(dispatcher, lang, "Waiting for dispatch: {count}", count=1, after=sent)
        queued = await wait_text(
            dispatcher,
            lang,
            "Returned by {department}: {reason}",
            department=name("water"),
            reason=RETURN_REASON,
            after=sent,
        )
        assert number in queued.body
        assert rows(queued) == [
            [tr(lang, "Dispatch")],
            [tr(lang, "Ask the enterprise"), tr(lang, "Decline")],
        ]

        # --- the dispatcher re-dispatches to gov via the form, with a typed deadline -------
        step = await mark(bot)
        pressed = await press_label(dispatcher, returned[2002], tr(lang, "Re-dispatch"))
        form = await wait_text(
            dispatcher, lang, "Dispatch case {number}", number=number, after=pressed
        )
        selectable = {label[2:].strip() for label in labels(form) if label[:1] in "✅▫"}
        assert name("water") in selectable  # a returned department may be chosen again
        chosen = {label.removeprefix("✅ ") for label in labels(form) if label.startswith("✅ ")}
        assert chosen == {name("gov"), name("police")}  # the dispute category's defaults
        pressed = await press_label(dispatcher, form, "✅ " + name("police"))
        form = await dispatcher.wait_for_edit(form, after=pressed)
        pressed = await press_label(dispatcher, form, tr(lang, "Type a deadline"))
        await wait_text(
            dispatcher,
            lang,
            "Type the deadline: working days (5wd or 5个工作日), calendar days "
            "(3d), or a date (2026-12-15 or 12月15日).",
            after=pressed,
        )
        sent = await dispatcher.send("1wd")
        form = await wait_text(
            dispatcher, lang, "Dispatch case {number}", number=number, after=sent
        )
        assert tr(lang, "(the category's default)") not in form.body
        pressed = await press_label(
            dispatcher, form, tr(lang, "Issue assignment orders ({count})", count=1)
        )
        assert (await answer_to(dispatcher, pressed)).text == tr(lang, "Issued")
        orders = await assignments_of(bot, number)
        second = orders["gov"]
        assert second.number == f"{number}-2"
        assert orders["water"].status == AssignmentStatus.RETURNED
        card = await wait_text(
            gov, lang, "Assignment order {number}", number=second.number, after=pressed
        )
        first_deadline = local(second.due_at)
        assert has(card, lang, "Sign for by: {due}", due=local(second.ack_due_at))
        assert first_deadline in card.body
        await wait_text(
            head,
            lang,
            "Copy for the major project's efficiency head",
            after=pressed,
        )
        await wait_text(
            lina,
            lang,
            "Your case {number} has been assigned to: {departments}.",
            number=number,
            departments=name("gov"),
            after=pressed,
        )
        await expect_silence(bot, step, water, police, wang, actions=[pressed])
        # Nothing waits for dispatch any more.
        sent = await dispatcher.send("/queue")
        await wait_text(dispatcher, lang, "Nothing is waiting for dispatch.", after=sent)

        # --- the gov liaison signs for and asks the enterprise a question ------------------
        pressed = await press_label(gov, card, tr(lang, "Sign for"))
        card = await gov.wait_for_edit(card, after=pressed)
        await wait_text(
            lina,
            lang,
            "{department} has signed for your case {number}.",
            department=name("gov"),
            number=number,
            after=pressed,
        )
        step = await mark(bot)
        pressed = await press_label(gov, card, tr(lang, "Ask the enterprise"))
        await wait_text(
            gov,
            lang,
            "Write your question to the enterprise about {number}. (/cancel to stop)",
            number=second.number,
            after=pressed,
        )
        sent = await gov.send(QUESTION)
        await wait_text(gov, lang, "Your question was sent to the enterprise.", after=sent)
        asked = await wait_text(
            lina, lang, "A question about your case {number}", number=number, after=sent
        )
        assert has(asked, lang, "From: {who}", who=name("gov"))
        assert QUESTION in asked.body
        assert labels(asked) == [tr(lang, "Reply")]
        await expect_silence(bot, step, officer, dispatcher, water, wang, actions=[sent])

        # Li Na replies; the answer goes back to the liaison who asked.
        step = await mark(bot)
        pressed = await press_label(lina, asked, tr(lang, "Reply"))
        await wait_text(lina, lang, "Your answer to: {question}", question=QUESTION, after=pressed)
        sent = await lina.send(ANSWER)
        await wait_text(lina, lang, "Your answer was sent.", after=sent)
        answered = await wait_text(
            gov,
            lang,
            "The enterprise answered about case {number}",
            number=number,
            after=sent,
        )
        assert has(answered, lang, "Question: {text}", text=QUESTION)
        assert has(answered, lang, "Answer: {text}", text=ANSWER)
        # An assignment's thread: the office is not disturbed, nor anyone else.
        await expect_silence(bot, step, officer, dispatcher, water, police, wang, actions=[sent])

        # --- completion by command; Li Na is not satisfied ----------------------------------
        step = await mark(bot)
        sent = await gov.send(f"/done {second.number} {FIRST_RESULT}")
        await wait_text(
            gov,
            lang,
            "Assignment {number} is completed. The enterprise and the office have been told.",
            number=second.number,
            after=sent,
        )
        for person in (lina, officer, dispatcher, head):
            message = await wait_text(
                person,
                lang,
                "{department} completed assignment {number}.",
                department=name("gov"),
                number=second.number,
                after=sent,
            )
            assert has(message, lang, "Result: {result}", result=FIRST_RESULT)
        closing = await wait_text(
            lina, lang, "Every department has completed your case {number}.", number=number
        )
        await expect_silence(bot, step, water, wang, actions=[sent])

        step = await mark(bot)
        pressed = await press_label(lina, closing, tr(lang, "Not satisfied"))
        await wait_text(
            lina,
            lang,
            "What is still wrong with case {number}? Your answer goes to the departments.",
            number=number,
            after=pressed,
        )
        sent = await lina.send(COMPLAINT)
        await wait_text(
            lina,
            lang,
            "Thank you. Case {number} has been reopened and sent back to the departments.",
            number=number,
            after=sent,
        )
        reopened_text = {
            "number": second.number,
        }
        reopened = await wait_text(
            gov,
            lang,
            "The enterprise is not satisfied; assignment {number} is reopened.",
            **reopened_text,
            after=sent,
        )
        assert has(reopened, lang, "Reason: {reason}", reason=COMPLAINT)
        again = (await assignments_of(bot, number))["gov"]
        assert again.status == AssignmentStatus.ACKNOWLEDGED
        assert again.reopened_count == 1 and again.deadline_version == 2
        assert again.due_at > second.due_at  # a new deadline: the category's, from now
        new_deadline = local(again.due_at)
        assert new_deadline != first_deadline
        assert not missing_lines(
            reopened,
            card_lines(
                bot,
                lang,
                again,
                depts["gov"],
                case_number=number,
                enterprise=CONCH_NAME,
                project=CONCH_PROJECT,
                category_code="dispute",
                description=DESCRIPTION,
                status="signed for, in progress",
                major=True,
            ),
        ), reopened.body
        assert rows(reopened)[0] == [tr(lang, "Complete")]
        for person in (officer, dispatcher):
            told = await wait_text(
                person,
                lang,
                "The enterprise is not satisfied; assignment {number} is reopened.",
                **reopened_text,
                after=sent,
            )
            assert has(told, lang, "Reason: {reason}", reason=COMPLAINT)
        case = await case_by_number(bot, number)
        assert case.status == CaseStatus.DISPATCHED
        # The returned water assignment stays returned: its liaison hears nothing.
        await expect_silence(bot, step, water, police, wang, actions=[sent])
        assert (await assignments_of(bot, number))["water"].status == AssignmentStatus.RETURNED

        # --- completed again through the reopened card; Li Na confirms by command ----------
        step = await mark(bot)
        pressed = await press_label(gov, reopened, tr(lang, "Complete"))
        await wait_text(
            gov,
            lang,
            "Describe the result of {number}: what was done for the enterprise. "
            "Send photos or documents first if you have any. (/cancel to stop)",
            number=second.number,
            after=pressed,
        )
        sent = await gov.send(SECOND_RESULT)
        for person in (lina, officer, dispatcher):
            await wait_text(person, lang, "Result: {result}", result=SECOND_RESULT, after=sent)
        closing = await wait_text(
            lina, lang, "Every department has completed your case {number}.", number=number
        )
        await settle(bot, sent)
        asked_twice = [
            m
            for m in await bot_messages_since(lina, step)
            if has(m, lang, "Every department has completed your case {number}.", number=number)
        ]
        assert len(asked_twice) == 1

        sent = await lina.send(f"/confirm {number} mostly")
        await wait_text(
            lina,
            lang,
            "Thank you. Case {number} is closed ({satisfaction}).",
            number=number,
            satisfaction=tr(lang, "mostly satisfied"),
            after=sent,
        )
        for person in (officer, dispatcher):
            await wait_text(
                person,
                lang,
                "Case {number} closed: the enterprise is {satisfaction}.",
                number=number,
                satisfaction=tr(lang, "mostly satisfied"),
                after=sent,
            )
        case = await case_by_number(bot, number)
        assert case.status == CaseStatus.CLOSED
        assert case.satisfaction == Satisfaction.MOSTLY

        # The timeline tells the whole story, in the reader's language.
        sent = await lina.send(f"/case {number}")
        shown = await wait_text(lina, lang, "Timeline", after=sent)
        expected = [
            tr(lang, "Returned by {dept}: {reason}", dept=name("water"), reason=RETURN_REASON),
            tr(lang, "Assigned to {dept} ({number})", dept=name("gov"), number=second.number),
            tr(lang, "Question: {text}", text=QUESTION),
            tr(lang, "Answer: {text}", text=ANSWER),
            tr(lang, "Completed by {dept}: {result}", dept=name("gov"), result=SECOND_RESULT),
            tr(lang, "Closed: {satisfaction}", satisfaction=tr(lang, "mostly satisfied")),
        ]
        assert not missing_lines(shown, expected), (missing_lines(shown, expected), shown.body)
        # Kunhao's contact never heard of any of it.
        await expect_silence(bot, start, wang, actions=[sent])
        assert_translated(lang)
