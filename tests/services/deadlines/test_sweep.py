"""The deadline sweep under a stopped clock: reminders, overdue, supervision, veto, once each."""

from __future__ import annotations

import dataclasses
from datetime import time, timedelta

import pytest
from sqlmodel import select

from models import DeadlineMark, Deduction, SupervisionOrder
from models.enums import DeductionKind, EscalationStage, SupervisionStatus
from scheduler.durations import Duration
from scheduler.reminders import QuietHours
from services import callbacks
from services.deadlines import refresh_next_check
from services.deadlines.sweep import sweep
from tests.rules import RULES
from tests.services.deadlines.world import (
    CONTACT,
    DISPATCHER,
    DRC,
    DRC_HEAD,
    MONDAY,
    POWER,
    SUPERVISOR,
    complete,
    dispatch,
    reload,
    sent_to,
    sign_for,
)

MINUTE = timedelta(minutes=1)


def run(db, at, rules=RULES) -> int:
    return db.call(sweep, rules=rules.at(at))


def rows(db, model, *where):
    return db.call(lambda s: list(s.exec(select(model).where(*where)).all()))


def test_sign_for_reminder_goes_once_to_the_liaison_and_a_copy_to_the_head(world) -> None:
    (issued,) = dispatch(world)
    assert run(world, issued.ack_due_at - MINUTE) == 0
    for later in (MINUTE, 2 * MINUTE, timedelta(hours=1)):
        run(world, issued.ack_due_at + later)
    (reminder,) = sent_to(world, DRC, "deadline.reminder")
    assert "签收" in reminder.text and issued.number in reminder.text
    assert reminder.buttons[0][0]["data"] == callbacks.assignment("ack", issued.id)
    (copy,) = sent_to(world, DRC_HEAD, "deadline.reminder")
    assert copy.buttons is None


def test_each_reminder_point_once_and_the_last_also_to_the_head(world) -> None:
    (issued,) = dispatch(world)
    sign_for(world, issued, MONDAY + MINUTE)
    first = RULES.calendar.subtract(issued.due_at, Duration.parse("1wd"))
    last = RULES.calendar.subtract(issued.due_at, Duration.parse("4h"))
    assert reload(world, issued).next_check_at == first
    run(world, first)
    run(world, first + MINUTE)
    assert len(sent_to(world, DRC, "deadline.reminder")) == 1
    assert sent_to(world, DRC_HEAD, "deadline.reminder") == []
    assert reload(world, issued).next_check_at == last
    run(world, last)
    run(world, last + MINUTE)
    assert len(sent_to(world, DRC, "deadline.reminder")) == 2
    assert len(sent_to(world, DRC_HEAD, "deadline.reminder")) == 1
    assert reload(world, issued).next_check_at == issued.due_at


def test_reminders_for_one_person_in_one_sweep_make_one_digest(world) -> None:
    one = dispatch(world)[0]
    two = dispatch(world, at=MONDAY + MINUTE)[0]
    run(world, two.ack_due_at + MINUTE)
    (digest,) = sent_to(world, DRC, "deadline.reminder")
    assert one.number in digest.text and two.number in digest.text
    datas = [row[0]["data"] for row in digest.buttons]
    assert datas == [callbacks.assignment("card", one.id), callbacks.assignment("card", two.id)]


def test_a_reminder_in_quiet_hours_waits_for_the_morning(world) -> None:
    # The 1wd reminder falls at Friday 18:00 local; quiet from 17:00 to 19:00 here.
    rules = dataclasses.replace(RULES, quiet=QuietHours(time(17), time(19)))
    (issued,) = dispatch(world, rules=rules)
    sign_for(world, issued, MONDAY + MINUTE)
    first = RULES.calendar.subtract(issued.due_at, Duration.parse("1wd"))
    run(world, first + 30 * MINUTE, rules)
    assert sent_to(world, DRC, "deadline.reminder") == []
    run(world, first + 60 * MINUTE, rules)
    assert len(sent_to(world, DRC, "deadline.reminder")) == 1


def test_a_reminder_in_quiet_hours_is_sent_when_the_deadline_is_in_the_same_quiet_period(
    world,
) -> None:
    # The 4h reminder (Monday 14:00 local) and the deadline (18:00) share the quiet period.
    rules = dataclasses.replace(RULES, quiet=QuietHours(time(13), time(19)))
    (issued,) = dispatch(world, rules=rules)
    sign_for(world, issued, MONDAY + MINUTE)
    last = RULES.calendar.subtract(issued.due_at, Duration.parse("4h"))
    run(world, last + MINUTE, rules)
    assert len(sent_to(world, DRC, "deadline.reminder")) == 1
    assert len(sent_to(world, DRC_HEAD, "deadline.reminder")) == 1


def test_moving_the_deadline_sends_the_sign_for_reminder_no_second_time(world) -> None:
    (issued,) = dispatch(world)
    run(world, issued.ack_due_at + MINUTE)

    def extend(session) -> None:
        assignment = session.get(type(issued), issued.id)
        assignment.due_at += timedelta(days=7)
        assignment.deadline_version += 1
        refresh_next_check(session, assignment, rules=RULES.at(issued.ack_due_at + MINUTE))

    world.call(extend)
    run(world, issued.ack_due_at + 2 * MINUTE)
    assert len(sent_to(world, DRC, "deadline.reminder")) == 1


def test_a_missed_deadline_deducts_once_tells_everyone_and_issues_a_supervision_order(
    world,
) -> None:
    (issued,) = dispatch(world)
    sign_for(world, issued, MONDAY + MINUTE)
    for at in (issued.due_at + MINUTE, issued.due_at + 2 * MINUTE):
        run(world, at)
    assert reload(world, issued).stage == EscalationStage.SUPERVISED
    (deduction,) = rows(world, Deduction)
    assert deduction.kind == DeductionKind.SLOW_ACTION and deduction.points == 2
    assert (deduction.year, deduction.half) == (2026, 2)
    for who in (DRC, DRC_HEAD, DISPATCHER, SUPERVISOR):
        assert len(sent_to(world, who, "deadline.overdue")) == 1, who
    (liaison_note,) = sent_to(world, DRC, "deadline.overdue")
    assert liaison_note.buttons and "慢作为" in liaison_note.text
    (order,) = rows(world, SupervisionOrder)
    assert order.number == issued.number + "-D"
    assert order.due_at == RULES.calendar.add(issued.due_at + MINUTE, Duration.parse("3wd"))
    assert len(sent_to(world, DRC, "deadline.supervision")) == 1
    assert len(sent_to(world, DRC_HEAD, "deadline.supervision.copy")) == 1
    assert reload(world, issued).next_check_at == order.due_at
    # Issued by the sweep: the office learns the order's number too, ...
    for who in (DISPATCHER, SUPERVISOR):
        (copy,) = sent_to(world, who, "deadline.supervision.copy")
        assert order.number in copy.text
    # ... and the enterprise hears, in plain words, that its matter is under supervision.
    (told,) = sent_to(world, CONTACT, "deadline.supervision.enterprise")
    due = RULES.calendar.local(order.due_at).strftime("%Y-%m-%d %H:%M")
    assert order.number in told.text and due in told.text and "督办单" in told.text
    assert told.buttons is None


def test_a_missed_supervision_order_vetoes_the_department_once(world) -> None:
    (issued,) = dispatch(world)
    sign_for(world, issued, MONDAY + MINUTE)
    run(world, issued.due_at + MINUTE)
    (order,) = rows(world, SupervisionOrder)
    run(world, order.due_at + MINUTE)
    run(world, order.due_at + 2 * MINUTE)
    (order,) = rows(world, SupervisionOrder)
    assert order.status == SupervisionStatus.MISSED
    assert reload(world, issued).stage == EscalationStage.INACTION
    kinds = sorted((d.kind, d.user_id is not None) for d in rows(world, Deduction))
    assert kinds == [
        (DeductionKind.INACTION_VETO, False),
        (DeductionKind.INCOMPETENT, True),
        (DeductionKind.INCOMPETENT, True),
        (DeductionKind.SLOW_ACTION, False),
    ]
    for who in (DRC, DRC_HEAD, DISPATCHER, SUPERVISOR):
        assert len(sent_to(world, who, "deadline.veto")) == 1, who
    assert "不作为" in sent_to(world, SUPERVISOR, "deadline.veto")[0].text
    assert reload(world, issued).next_check_at is None
    # The county-wide notice (通报) reaches every other liaison and head, once; the vetoed
    # department's own people read the veto message instead of the same news twice.
    for who in (POWER, 3001, 3008):
        (notice,) = sent_to(world, who, "notice.veto")
        assert issued.number in notice.text
    # Signed by the offices settings.toml names: the notice by the supervisors' office, the
    # supervision order by the optimization office.
    assert sent_to(world, 3001, "notice.veto")[0].text.endswith("— 县纪委行政效能室")
    assert sent_to(world, POWER, "notice.veto")[0].text.endswith(
        "— Discipline Commission Efficiency Office"
    )
    assert "督办单位：县优化办。" in sent_to(world, DRC, "deadline.supervision")[0].text
    for who in (DRC, DRC_HEAD, DISPATCHER, SUPERVISOR):
        assert sent_to(world, who, "notice.veto") == []
    (told,) = sent_to(world, CONTACT, "deadline.veto.enterprise")
    assert order.number in told.text and "一票否决" in told.text and "仍须办结" in told.text


def test_completing_closes_the_supervision_order_and_nothing_more_happens(world) -> None:
    (issued,) = dispatch(world)
    sign_for(world, issued, MONDAY + MINUTE)
    run(world, issued.due_at + MINUTE)
    complete(world, issued, issued.due_at + 2 * MINUTE)
    (order,) = rows(world, SupervisionOrder)
    assert order.status == SupervisionStatus.COMPLETED
    run(world, order.due_at + MINUTE)
    assert sent_to(world, SUPERVISOR, "deadline.veto") == []
    assert len(rows(world, Deduction)) == 1


def test_after_days_down_every_step_happens_once_and_lost_reminders_are_folded(world) -> None:
    (issued,) = dispatch(world, codes=("power",))
    run(world, issued.due_at + timedelta(days=2))
    # English liaison: no late reminders, one overdue message listing what was not sent.
    assert sent_to(world, POWER, "deadline.reminder") == []
    (note,) = sent_to(world, POWER, "deadline.overdue")
    folded = (
        "Reminders whose time passed before they could be sent: the sign-for reminder, the "
        "reminder 1 working day before the deadline, the reminder 4 hours before the deadline"
    )
    assert folded in note.text
    outcomes = {(m.clock, m.point): m.outcome for m in rows(world, DeadlineMark)}
    assert outcomes == {
        ("ack", "missed"): "folded",
        ("done", "1wd"): "folded",
        ("done", "4h"): "folded",
        ("done", "missed"): "done",
    }
    (order,) = rows(world, SupervisionOrder)
    run(world, order.due_at + timedelta(days=5))
    assert len(sent_to(world, POWER, "deadline.veto")) == 1
    assert "vetoed" in sent_to(world, POWER, "deadline.veto")[0].text


def test_draft_mode_asks_the_dispatchers_to_issue_the_order(world) -> None:
    rules = dataclasses.replace(RULES, supervision_orders="draft")
    (issued,) = dispatch(world, rules=rules)
    run(world, issued.due_at + MINUTE, rules)
    assert rows(world, SupervisionOrder) == []
    (draft,) = sent_to(world, DISPATCHER, "deadline.supervision.draft")
    assert draft.buttons[0][0]["data"] == callbacks.supervision("iss", issued.id)
    assert reload(world, issued).stage == EscalationStage.SLOW
    assert reload(world, issued).next_check_at is None


def test_a_sweep_that_fails_before_its_digests_are_queued_keeps_no_reminder_mark(world) -> None:
    """Marks and the messages they stand for are saved together or not at all (SQLite too)."""
    (issued,) = dispatch(world)

    def sweep_then_fail(session) -> None:
        sweep(session, rules=RULES.at(issued.ack_due_at + MINUTE))
        raise RuntimeError("killed before the commit")

    with pytest.raises(RuntimeError):
        world.call(sweep_then_fail)
    assert rows(world, DeadlineMark, DeadlineMark.assignment_id == issued.id) == []
    assert sent_to(world, DRC, "deadline.reminder") == []
    run(world, issued.ack_due_at + 2 * MINUTE)
    assert len(sent_to(world, DRC, "deadline.reminder")) == 1
