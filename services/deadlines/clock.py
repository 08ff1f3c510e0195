"""When the sweep must next look at an assignment: its reminders, deadlines and supervision."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import Assignment, Case, DeadlineChange, DeadlineMark, SupervisionOrder
from models.enums import AssignmentStatus, ExtensionKind, SupervisionStatus
from scheduler.reminders import ReminderPlan, plan_reminders
from services.rules import Rules

OPEN = (AssignmentStatus.ISSUED, AssignmentStatus.ACKNOWLEDGED)
ACK, DONE, SUPERVISION = "ack", "done", "supervision"
MISSED = "missed"


def version(assignment: Assignment, clock: str) -> int:
    """The deadline version a clock's marks belong to; moving the completion deadline (an
    extension, a reopening) does not move the sign-for deadline, so its reminder stays sent."""
    return 1 if clock == ACK else assignment.deadline_version


def marks(session: Session, assignment: Assignment, clock: str) -> set[str]:
    """The points of ``clock`` already dealt with for the assignment's current deadline."""
    params = {"assignment_id": assignment.id, "clock": clock, "version": version(assignment, clock)}
    return set(session.exec(_MARKS, params=params).all())


_MARKS = select(DeadlineMark.point).where(  # built once: every change to an assignment looks
    DeadlineMark.assignment_id == sa.bindparam("assignment_id"),
    DeadlineMark.clock == sa.bindparam("clock"),
    DeadlineMark.version == sa.bindparam("version"),
)


def reminder_plan(session: Session, assignment: Assignment, *, rules: Rules) -> ReminderPlan:
    """The category's reminders before the completion deadline, outside quiet hours."""
    case = session.get(Case, assignment.case_id)
    assert case is not None
    return plan_reminders(
        rules.calendar,
        deadline=assignment.due_at,
        offsets=rules.sla(case.category).reminders,
        issued_at=assignment.issued_at,
        quiet=rules.quiet,
    )


def open_order(session: Session, assignment: Assignment) -> SupervisionOrder | None:
    return session.exec(_OPEN_ORDER, params={"assignment_id": assignment.id}).first()


_OPEN_ORDER = select(SupervisionOrder).where(
    SupervisionOrder.assignment_id == sa.bindparam("assignment_id"),
    SupervisionOrder.status == SupervisionStatus.OPEN,
)


def has_order(session: Session, assignment: Assignment) -> bool:
    """Whether the assignment ever had a supervision order (it can have only one)."""
    found = session.exec(
        select(SupervisionOrder.id).where(SupervisionOrder.assignment_id == assignment.id)
    ).first()
    return found is not None


def paused_since(session: Session, assignment: Assignment) -> DeadlineChange | None:
    """The pause holding the assignment's completion clock, if any."""
    return session.exec(_PAUSED, params={"assignment_id": assignment.id}).first()


# Built once: every change to an assignment looks for its pause, often twice.
_PAUSED = select(DeadlineChange).where(
    DeadlineChange.assignment_id == sa.bindparam("assignment_id"),
    DeadlineChange.kind == ExtensionKind.PAUSE,
    col(DeadlineChange.paused_from).is_not(None),
    col(DeadlineChange.paused_until).is_(None),
)


def next_check(session: Session, assignment: Assignment, *, rules: Rules) -> datetime | None:
    """The earliest pending point on the assignment's clocks, or None when nothing is pending."""
    pending: list[datetime] = []
    order = open_order(session, assignment)
    if order is not None and MISSED not in marks(session, assignment, SUPERVISION):
        pending.append(order.due_at)
    # A paused assignment (waiting for the enterprise) owes no reminder and cannot run late
    # until the enterprise answers; its supervision order, if any, still runs.
    if assignment.status in OPEN and paused_since(session, assignment) is None:
        if assignment.status == AssignmentStatus.ISSUED and not marks(session, assignment, ACK):
            pending.append(assignment.ack_due_at)
        done = marks(session, assignment, DONE)
        if MISSED not in done:
            plan = reminder_plan(session, assignment, rules=rules)
            pending += [p.at for p in plan.points if p.id not in done]
            pending.append(assignment.due_at)
    return min(pending, default=None)


def refresh_next_check(session: Session, assignment: Assignment, *, rules: Rules) -> None:
    """Set ``next_check_at`` after any change to the assignment's state or deadlines."""
    assignment.next_check_at = next_check(session, assignment, rules=rules)
    session.add(assignment)


def close_order(session: Session, assignment: Assignment, *, now: datetime) -> None:
    """Completing the assignment completes its open supervision order."""
    order = open_order(session, assignment)
    if order is not None:
        order.status = SupervisionStatus.COMPLETED
        order.completed_at = now
        session.add(order)


def due_ids(session: Session, *, now: datetime, limit: int) -> list[int]:
    """Assignments the sweep must look at now: by next_check_at, and open overdue orders."""
    ids = session.exec(
        select(Assignment.id)
        .where(col(Assignment.next_check_at) <= now)
        .order_by(col(Assignment.next_check_at))
        .limit(limit)
    ).all()
    orders = session.exec(
        select(SupervisionOrder.assignment_id)
        .where(SupervisionOrder.status == SupervisionStatus.OPEN, SupervisionOrder.due_at <= now)
        .order_by(col(SupervisionOrder.due_at))
        .limit(limit)
    ).all()
    return list(dict.fromkeys([i for i in ids if i is not None] + list(orders)))
