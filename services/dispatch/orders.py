"""Dispatch: a case becomes one assignment order (交办单) per department, issued together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from sqlmodel import Session, col, select

from models import Assignment, Case, Department
from models.enums import COUNTY_ROLES, OFFICE_ROLES, AssignmentStatus, CaseStatus
from services import access, audit, live, notify
from services.deadlines import refresh_next_check
from services.errors import InvalidInput, InvalidState, NotAllowed, Phrase
from services.facts import card_of, case_attachments
from services.messages import assignment as assignment_messages
from services.messages import case as case_messages
from services.messages.common import CASE_STATUS_NAMES
from services.org import department_by_code
from services.rules import Rules
from services.users import Actor

ACTIVE = (AssignmentStatus.ISSUED, AssignmentStatus.ACKNOWLEDGED, AssignmentStatus.COMPLETED)
DISPATCHABLE = (CaseStatus.NEW, CaseStatus.INFO_REQUESTED, CaseStatus.DISPATCHED)


@dataclass(frozen=True)
class DispatchOptions:
    """What the dispatch keyboard needs: departments, defaults, the default deadline."""

    case: Case
    departments: list[Department]
    preselected: list[str]
    already: list[str]  # departments already holding an active assignment on the case
    default_due: datetime


def dispatch_options(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    rules: Rules,
) -> DispatchOptions:
    now = rules.now()
    case = _dispatchable(session, actor, case_id=case_id)
    policy = rules.sla(case.category)
    departments = list(
        session.exec(select(Department).where(Department.active).order_by(col(Department.id))).all()
    )
    already = _active_department_codes(session, case)
    preselected = [c for c in policy.default_departments if c not in already]
    return DispatchOptions(
        case=case,
        departments=departments,
        preselected=preselected,
        already=already,
        default_due=rules.calendar.add(now, policy.completion),
    )


def _dispatchable(
    session: Session, actor: Actor, *, case_id: int | None = None, case_number: str | None = None
) -> Case:
    case = access.managed_case(session, actor, case_id=case_id, case_number=case_number)
    # Two dispatches of one case at once (two dispatchers, or an update handled twice): the
    # second waits here and then sees the first's orders, instead of issuing them again.
    session.refresh(case, with_for_update=True)
    if case.status not in DISPATCHABLE:
        raise InvalidState(
            "Case {number} cannot be dispatched now (it is {status}).",
            number=case.number,
            status=Phrase(CASE_STATUS_NAMES.get(case.status, case.status)),
        )
    return case


def _active_department_codes(session: Session, case: Case) -> list[str]:
    return list(
        session.exec(
            select(Department.code)
            .join(Assignment, col(Assignment.department_id) == Department.id)
            .where(Assignment.case_id == case.id, col(Assignment.status).in_(ACTIVE))
        ).all()
    )


def _assignable(session: Session, code: str) -> Department:
    """An active department with a liaison to receive the order."""
    dept = department_by_code(session, code)
    if dept is None or not dept.active:
        raise InvalidInput("There is no department with code {code}.", code=code)
    if not notify.liaisons_of(session, dept.id):  # type: ignore[arg-type]
        raise InvalidState(
            "{department} has no registered liaison yet; invite one before assigning to it.",
            department=dept.name_zh + " / " + dept.name_en,
        )
    return dept


def dispatch_case(
    session: Session,
    *,
    actor: Actor,
    case_id: int | None = None,
    case_number: str | None = None,
    department_codes: Sequence[str],
    due_at: datetime | None = None,
    rules: Rules,
) -> list[Assignment]:
    """Issue one assignment per department at the same moment, each with its own number."""
    now = rules.now()
    case = _dispatchable(session, actor, case_id=case_id, case_number=case_number)
    codes = list(dict.fromkeys(c.strip() for c in department_codes if c.strip()))
    if not codes:
        raise InvalidInput("Choose at least one department.")
    departments = [_assignable(session, code) for code in codes]
    already = set(_active_department_codes(session, case))
    clash = [d for d in departments if d.code in already]
    if clash:
        raise InvalidState(
            "Case {number} is already assigned to {departments}.",
            number=case.number,
            departments=", ".join(d.code for d in clash),
        )
    policy = rules.sla(case.category)
    due = due_at or rules.calendar.add(now, policy.completion)
    if due <= now:
        raise InvalidInput("The deadline must be in the future.")
    ack_due = min(rules.calendar.add(now, policy.acknowledgement), due)
    count = len(session.exec(select(Assignment.id).where(Assignment.case_id == case.id)).all())
    issued = []
    for offset, dept in enumerate(departments, start=1):
        assignment = Assignment(
            number=f"{case.number}-{count + offset}",
            case_id=case.id,  # type: ignore[arg-type]  # stored rows have an id
            department_id=dept.id,  # type: ignore[arg-type]  # stored rows have an id
            status=AssignmentStatus.ISSUED,
            issued_at=now,
            issued_by_user_id=actor.id,
            ack_due_at=ack_due,
            due_at=due,
        )
        session.add(assignment)
        issued.append(assignment)
    session.flush()
    for assignment in issued:
        refresh_next_check(session, assignment, rules=rules)
    # Returns that this dispatch answers are no longer waiting in the queue.
    for returned in session.exec(
        select(Assignment).where(
            Assignment.case_id == case.id,
            Assignment.status == AssignmentStatus.RETURNED,
            col(Assignment.return_handled_at).is_(None),
        )
    ).all():
        returned.return_handled_at = now
        session.add(returned)
    case.status = CaseStatus.DISPATCHED
    case.dispatched_at = case.dispatched_at or now
    session.add(case)
    for assignment in issued:
        audit.record(
            session,
            actor_id=actor.id,
            action="assignment.issue",
            entity="assignments",
            entity_id=assignment.id,
            data={"number": assignment.number, "due_at": due.isoformat()},
            at=now,
        )
    _notify_issued(session, case, issued, rules)
    live.refresh_case_announcement(
        session, case, rules=rules, by=actor.user.display_name, actor_chat=actor.user.telegram_id
    )
    return issued


def _notify_issued(session: Session, case: Case, issued: list[Assignment], rules: Rules) -> None:
    files = case_attachments(session, case.id)  # type: ignore[arg-type]
    copied = notify.efficiency_head(session, case)
    for assignment in issued:
        card = card_of(session, assignment, rules)
        notify.tell(
            session,
            notify.liaisons_of(session, assignment.department_id),
            rules=rules,
            template="assignment.issued",
            key=f"asg:{assignment.id}:issued",
            render=partial(assignment_messages.issued, card=card, zone=rules.zone),
            attachments=files or None,
            live_key=live.card_key(assignment.id),  # type: ignore[arg-type]  # flushed
        )
        notify.tell(
            session,
            copied,
            rules=rules,
            template="assignment.issued.copy",
            key=f"asg:{assignment.id}:issued.cc",
            render=partial(assignment_messages.issued_copy, card=card, zone=rules.zone),
        )
    names = [session.get(Department, a.department_id) for a in issued]
    notify.tell(
        session,
        notify.contacts_for(session, case),
        rules=rules,
        template="case.dispatched",
        key=f"case:{case.id}:dispatched:{issued[0].id}",
        render=partial(
            case_messages.dispatched,
            number=case.number,
            departments=[d for d in names if d],
            due=issued[0].due_at,
            zone=rules.zone,
        ),
    )


@dataclass
class QueueItem:
    case: Case
    returns: list[tuple[Assignment, Department]] = field(default_factory=list)


def queue(session: Session, *, actor: Actor, limit: int) -> list[QueueItem]:
    """Cases waiting for dispatch, and cases with returned assignments to re-dispatch."""
    if not actor.has(*OFFICE_ROLES):
        raise NotAllowed(
            "Only the park's efficiency office and the optimization office can do this."
        )
    scope = select(Case)
    if not actor.has(*COUNTY_ROLES):
        scope = scope.where(col(Case.park_id).in_(actor.park_ids()))
    waiting = session.exec(
        scope.where(col(Case.status).in_((CaseStatus.NEW, CaseStatus.INFO_REQUESTED)))
        .order_by(col(Case.id))
        .limit(limit)
    ).all()
    items = {case.id: QueueItem(case=case) for case in waiting}
    returned = session.exec(
        select(Assignment, Department)
        .join(Department, col(Department.id) == Assignment.department_id)
        .where(
            Assignment.status == AssignmentStatus.RETURNED,
            col(Assignment.return_handled_at).is_(None),
        )
        .order_by(col(Assignment.returned_at))
    ).all()
    for assignment, dept in returned:
        case = session.get(Case, assignment.case_id)
        if case is None or not access.can_manage(actor, case):
            continue
        items.setdefault(case.id, QueueItem(case=case)).returns.append((assignment, dept))
    return sorted(items.values(), key=lambda item: item.case.id or 0)[:limit]
