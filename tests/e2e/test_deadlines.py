"""Acceptance (issue 8): the deadline drill over the sandbox, zh and en.

A permit case goes to two departments under the drill profile (minutes). The environment
bureau signs for and completes in time by command; the development commission ignores
everything: the sweep (run directly with a moved clock, no sleeping) reminds it to sign for,
reminds it twice before the deadline (the last one also to its head), finds it overdue, issues
the supervision order, finds that missed too and vetoes. Every party gets exactly the messages
it should, once each, however often the sweep runs.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from sqlmodel import Session, select

from bot.settings import load_settings
from models import Assignment, SupervisionOrder, User
from models.types import utcnow
from scheduler.deadlines import time_left
from scheduler.reminders import NO_QUIET_HOURS
from services import cases
from services.deadlines.sweep import sweep
from services.messages import deadlines as deadline_messages
from services.rules import Rules
from services.users import load_actor
from tests.e2e.harness import running_bot
from tests.e2e.helpers import (
    STORY,
    assert_translated,
    assignments_of,
    bot_messages_since,
    cast,
    departments,
    has,
    labels,
    local,
    mark,
    press_label,
    settle,
    tr,
    wait_text,
)

SECOND = timedelta(seconds=1)
ORDER = "Assignment order {number}"
SUPERVISED = "Under supervision order {order}: complete it by {due}."
VETOED = "Vetoed: supervision order {order} was not completed by {due} (不作为)."
CONTACT, DISPATCHER, DRC, EPB, DRC_HEAD, SUPERVISOR = 1001, 2002, 3002, 3003, 3101, 4001


def submit(session: Session, rules: Rules) -> str:
    user = session.exec(select(User).where(User.telegram_id == CONTACT)).one()
    submitted = cases.submit_case(
        session,
        actor=load_actor(session, user),
        category="permit",
        description="二期增容用电审批：省里窗口期即将关闭",
        idempotency_key="drill:1",
        rules=rules,
    )
    return submitted.case.number


@STORY
async def test_deadline_drill_reminders_overdue_supervision_veto(db_url: str, lang: str) -> None:
    async with running_bot(db_url, sla_profile="drill") as bot:
        people = await cast(bot, lang, CONTACT, DISPATCHER, DRC, EPB, DRC_HEAD, SUPERVISOR)
        rules = dataclasses.replace(bot.deps.rules, quiet=NO_QUIET_HOURS)
        depts = await departments(bot)
        start = await mark(bot)
        number = await bot.db.run(lambda s: submit(s, rules))
        sent = await people[DISPATCHER].send(f"/dispatch {number} drc,epb")
        await settle(bot, sent)
        issued = await assignments_of(bot, number)
        slow, quick = issued["drc"], issued["epb"]

        # The environment bureau signs for and completes in time.
        sent = await people[EPB].send(f"/ack {quick.number}")
        await settle(bot, sent)
        sent = await people[EPB].send(f"/done {quick.number} 环评批复已下达")
        await settle(bot, sent)

        async def sweep_at(moment: datetime) -> None:
            for _ in range(2):  # a second sweep at the same instant changes nothing
                await bot.db.run(lambda s: sweep(s, rules=rules.at(moment)))
            await settle(bot)

        first = slow.due_at - timedelta(minutes=5)
        last = slow.due_at - timedelta(minutes=1)
        for moment in (slow.ack_due_at, first, last, slow.due_at):
            await sweep_at(moment + SECOND)
        order = await bot.db.run(lambda s: s.exec(select(SupervisionOrder)).one())
        card = await wait_text(people[DRC], lang, ORDER, after=start, number=slow.number)
        supervised = await people[DRC].wait_for_edit(
            card, lambda m: has(m, lang, SUPERVISED, order=order.number, due=local(order.due_at))
        )
        # Still to sign for; an extension or a pause no longer applies once overdue.
        still = ("Sign for", "Return", "Ask the enterprise")
        assert labels(supervised) == [tr(lang, label) for label in still]
        await sweep_at(order.due_at + SECOND)
        await sweep_at(order.due_at + 10 * SECOND)
        vetoed = {"order": order.number, "due": local(order.due_at)}
        await people[DRC].wait_for_edit(card, lambda m: has(m, lang, VETOED, **vetoed))
        shown = await people[DRC].message(card.message_id)
        assert has(shown, lang, VETOED, **vetoed) and not has(shown, lang, SUPERVISED, **vetoed)

        def left(at: datetime) -> str:
            return deadline_messages.time_left_text(
                lang, time_left(rules.calendar, now=at + SECOND, due_at=slow.due_at)
            )

        drc = depts["drc"].name_zh if lang == "zh" else depts["drc"].name_en
        optimization = rules.offices.optimization
        office = optimization.name_zh if lang == "zh" else optimization.name_en
        n, o = slow.number, order.number
        texts = {
            "ack": (
                "Assignment {number} is not signed for yet (it was due by {due}).",
                {"number": n, "due": local(slow.ack_due_at)},
            ),
            "ack.copy": (
                "Copy: {department} has not signed for assignment {number} (due {due}).",
                {"department": drc, "number": n, "due": local(slow.ack_due_at)},
            ),
            "first": (
                "Reminder: assignment {number} is due {due} ({left}).",
                {"number": n, "due": local(slow.due_at), "left": left(first)},
            ),
            "last": (
                "Reminder: assignment {number} is due {due} ({left}).",
                {"number": n, "due": local(slow.due_at), "left": left(last)},
            ),
            "last.copy": (
                "Copy: assignment {number} of {department} is due {due} ({left}).",
                {"number": n, "department": drc, "due": local(slow.due_at), "left": left(last)},
            ),
            "overdue": (
                "Assignment {number} ({department}) missed its deadline {due}.",
                {"number": n, "department": drc, "due": local(slow.due_at)},
            ),
            "supervision": (
                "Supervision order {order} for assignment {number}: complete it by {due}.",
                {"order": o, "number": n, "due": local(order.due_at)},
            ),
            "veto": (
                "Supervision order {order} for assignment {number} ({department}) was not "
                "completed by {due}.",
                {"order": o, "number": n, "department": drc, "due": local(order.due_at)},
            ),
            "supervision.enterprise": (
                "In your case {case}, assignment {number} of {department} was not completed by "
                "its deadline {missed}. {office} has issued supervision order {order}: it must "
                "be completed by {due}.",
                {
                    "case": number,
                    "number": n,
                    "department": drc,
                    "missed": local(slow.due_at),
                    "office": office,
                    "order": o,
                    "due": local(order.due_at),
                },
            ),
            "veto.enterprise": (
                "In your case {case}, supervision order {order} of {department} was not "
                "completed by {due} either. The department is found inactive (不作为) and vetoed "
                "in this year's assessment. The assignment must still be completed; you will be "
                "told when it is.",
                {"case": number, "order": o, "department": drc, "due": local(order.due_at)},
            ),
        }
        # The office learns the number of the order the sweep issued (the head's copy), and the
        # enterprise hears when its matter comes under supervision and when that is missed.
        expected = {
            DRC: {"ack", "first", "last", "overdue", "supervision", "veto"},
            DRC_HEAD: {"ack.copy", "last.copy", "overdue", "supervision", "veto"},
            DISPATCHER: {"overdue", "supervision", "veto"},
            SUPERVISOR: {"overdue", "supervision", "veto"},
            EPB: set(),
            CONTACT: {"supervision.enterprise", "veto.enterprise"},
        }
        for who, wanted in expected.items():
            got = await bot_messages_since(people[who], start)
            for key, (msgid, params) in texts.items():
                count = sum(has(m, lang, msgid, **params) for m in got)
                assert count == (key in wanted), (who, key, count, [m.body[:60] for m in got])
        assert_translated(lang)


@STORY
async def test_overdue_list_and_supervision_by_hand(db_url: str, lang: str) -> None:
    async with running_bot(db_url, sla_profile="drill") as bot:
        people = await cast(bot, lang, CONTACT, DISPATCHER, DRC, SUPERVISOR)
        rules = dataclasses.replace(bot.deps.rules, quiet=NO_QUIET_HOURS)
        number = await bot.db.run(lambda s: submit(s, rules))
        sent = await people[DISPATCHER].send(f"/dispatch {number} drc")
        await settle(bot, sent)
        slow = (await assignments_of(bot, number))["drc"]
        sent = await people[DISPATCHER].send(f"/supervise {slow.number}")
        await wait_text(people[DISPATCHER], lang, NOT_OVERDUE, after=sent, number=slow.number)

        def miss(session: Session) -> None:
            # As if the deadline passed an hour ago while nobody swept.
            assignment = session.get(Assignment, slow.id)
            assert assignment is not None
            assignment.due_at = assignment.ack_due_at = utcnow() - timedelta(hours=1)
            session.add(assignment)

        await bot.db.run(miss)
        for who in (DISPATCHER, SUPERVISOR):
            sent = await people[who].send("/overdue")
            await wait_text(people[who], lang, "Overdue: {count}", after=sent, count=1)
        sent = await people[DRC].send("/overdue")
        refusal = "/{command} is not available to you. These are the commands you can use:"
        await wait_text(people[DRC], lang, refusal, after=sent, command="overdue")
        start = await mark(bot)
        sent = await people[DISPATCHER].send(f"/supervise {slow.number} 2h")
        await settle(bot, sent)
        order = await bot.db.run(lambda s: s.exec(select(SupervisionOrder)).one())
        assert order.number == slow.number + "-D"
        issued = "Supervision order {order} issued; due {due}."
        due = local(order.due_at)
        await wait_text(people[DISPATCHER], lang, issued, after=sent, order=order.number, due=due)
        sent = await people[DISPATCHER].send(f"/supervise {slow.number}")
        await wait_text(
            people[DISPATCHER],
            lang,
            "Assignment {number} already has a supervision order.",
            after=sent,
            number=slow.number,
        )
        await settle(bot, sent)
        got = await bot_messages_since(people[DRC], start)
        headline = "Supervision order {order} for assignment {number}: complete it by {due}."
        params = {"order": order.number, "number": slow.number, "due": local(order.due_at)}
        assert sum(has(m, lang, headline, **params) for m in got) == 1
        assert_translated(lang)


NOT_OVERDUE = (
    "Assignment {number} is not overdue yet; a supervision order follows a missed deadline."
)


@STORY
async def test_drafted_supervision_order_issued_with_its_button(db_url: str, lang: str) -> None:
    settings = load_settings(
        database={"url": db_url}, sla={"supervision_orders": "draft"}, reports={"enabled": False}
    )
    async with running_bot(db_url, settings=settings, sla_profile="drill") as bot:
        people = await cast(bot, lang, CONTACT, DISPATCHER, DRC)
        rules = dataclasses.replace(bot.deps.rules, quiet=NO_QUIET_HOURS)
        assert rules.supervision_orders == "draft"
        number = await bot.db.run(lambda s: submit(s, rules))
        sent = await people[DISPATCHER].send(f"/dispatch {number} drc")
        await settle(bot, sent)
        slow = (await assignments_of(bot, number))["drc"]

        def missed(session: Session) -> None:
            # The real clock must find it overdue when the button is pressed.
            assignment = session.get(Assignment, slow.id)
            assert assignment is not None
            past = utcnow() - timedelta(minutes=1)
            assignment.due_at = assignment.ack_due_at = assignment.next_check_at = past
            session.add(assignment)

        await bot.db.run(missed)
        await bot.db.run(lambda s: sweep(s, rules=rules.at(utcnow())))
        await settle(bot)
        label = tr(lang, "Issue the supervision order")
        draft = await people[DISPATCHER].wait_for_bot_message(
            lambda m: any(text == label for text, _ in m.buttons), timeout=15
        )
        assert await bot.db.run(lambda s: s.exec(select(SupervisionOrder)).first()) is None
        pressed = await press_label(people[DISPATCHER], draft, label)
        await settle(bot, pressed)
        order = await bot.db.run(lambda s: s.exec(select(SupervisionOrder)).one())
        await people[DISPATCHER].wait_for_edit(
            draft,
            lambda m: has(
                m,
                lang,
                "Supervision order {order} issued; due {due}.",
                order=order.number,
                due=local(order.due_at),
            ),
        )
        headline = "Supervision order {order} for assignment {number}: complete it by {due}."
        params = {"order": order.number, "number": slow.number, "due": local(order.due_at)}
        await wait_text(people[DRC], lang, headline, **params)
        assert_translated(lang)
