"""Oversight: what is overdue (/overdue), and a supervision order issued by hand (/supervise)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models import Assignment, Case, Department, SupervisionOrder
from models.enums import COUNTY_ROLES, Role, SupervisionStatus
from scheduler.deadlines import TimeLeft, time_left
from services import access
from services.deadlines.clock import OPEN, has_order, refresh_next_check
from services.deadlines.escalation import issue_order
from services.errors import InvalidInput, InvalidState, NotAllowed
from services.rules import Rules
from services.users import Actor

OVERSEERS = (*COUNTY_ROLES, Role.SUPERVISOR)


@dataclass(frozen=True)
class Late:
    """One overdue assignment or supervision order, as /overdue lists it."""

    number: str
    order: bool  # a supervision order (督办单), else an assignment order
    department: Department | None
    case_number: str
    due: datetime
    late: TimeLeft


def overdue(session: Session, *, actor: Actor, rules: Rules, limit: int) -> list[Late]:
    """Every open assignment past its deadline and every supervision order past its own."""
    if not actor.has(*OVERSEERS):
        raise NotAllowed("Only dispatchers and supervisors can see what is overdue.")
    now = rules.now()
    found: list[Late] = []
    late_assignments = session.exec(
        select(Assignment, Case, Department)
        .join(Case, col(Case.id) == Assignment.case_id)
        .join(Department, col(Department.id) == Assignment.department_id)
        .where(col(Assignment.status).in_(OPEN), col(Assignment.due_at) < now)
        .order_by(col(Assignment.due_at))
        .limit(limit)
    ).all()
    for a, case, dept in late_assignments:
        found.append(
            Late(a.number, False, dept, case.number, a.due_at, _late(rules, now, a.due_at))
        )
    late_orders = session.exec(
        select(SupervisionOrder, Assignment, Case, Department)
        .join(Assignment, col(Assignment.id) == SupervisionOrder.assignment_id)
        .join(Case, col(Case.id) == Assignment.case_id)
        .join(Department, col(Department.id) == Assignment.department_id)
        .where(
            col(SupervisionOrder.status).in_((SupervisionStatus.OPEN, SupervisionStatus.MISSED)),
            col(SupervisionOrder.due_at) < now,
            col(Assignment.status).in_(OPEN),
        )
        .order_by(col(SupervisionOrder.due_at))
        .limit(limit)
    ).all()
    for order, _a, case, dept in late_orders:
        late = _late(rules, now, order.due_at)
        found.append(Late(order.number, True, dept, case.number, order.due_at, late))
    return sorted(found, key=lambda item: item.due)[:limit]


def _late(rules: Rules, now: datetime, due: datetime) -> TimeLeft:
    return time_left(rules.calendar, now=now, due_at=due)


def supervise(
    session: Session,
    *,
    actor: Actor,
    assignment_id: int | None = None,
    assignment_number: str | None = None,
    deadline: str | None = None,
    rules: Rules,
) -> SupervisionOrder:
    """/supervise: a dispatcher issues the supervision order of an overdue open assignment."""
    if not actor.has(*COUNTY_ROLES):
        raise NotAllowed("Only the county optimization office issues supervision orders.")
    now = rules.now()
    found = access.find_assignment(
        session, actor, assignment_id=assignment_id, assignment_number=assignment_number
    )
    assignment = session.get(Assignment, found.id, with_for_update=True, populate_existing=True)
    assert assignment is not None
    if has_order(session, assignment):
        raise InvalidState(
            "Assignment {number} already has a supervision order.", number=assignment.number
        )
    if assignment.status not in OPEN:
        raise InvalidState(
            "Assignment {number} is no longer open; it needs no supervision order.",
            number=assignment.number,
        )
    if now < assignment.due_at:
        raise InvalidState(
            "Assignment {number} is not overdue yet; a supervision order follows a missed "
            "deadline.",
            number=assignment.number,
        )
    due = None
    if deadline:
        try:
            due = rules.calendar.parse_deadline(deadline, now=now)
        except ValueError as exc:  # the calendar's DeadlineError and its kinds
            raise InvalidInput(
                "I could not read the deadline {text}: write e.g. 3wd or 2026-12-15.",
                text=deadline,
            ) from exc
    order = issue_order(session, assignment, rules=rules, due=due, actor_id=actor.id)
    refresh_next_check(session, assignment, rules=rules)
    return order
