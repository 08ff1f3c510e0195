"""The liaison's side: sign for, return, note progress, complete."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial

from sqlmodel import Session, col, select

from models import Assignment, Case, Department, Note
from models.enums import DEPARTMENT_ROLES, AssignmentStatus, CaseStatus, NoteKind, Role
from services import access, audit, live, notify
from services.cases import add_attachments, case_facts
from services.deadlines.clock import close_order, refresh_next_check
from services.dispatch.orders import card_of
from services.errors import InvalidInput, InvalidState, NotAllowed
from services.messages import assignment as assignment_messages
from services.messages import confirmation as confirmation_messages
from services.rules import Rules
from services.users import Actor

OPEN = (AssignmentStatus.ISSUED, AssignmentStatus.ACKNOWLEDGED)


def _mine(
    session: Session, actor: Actor, assignment_id: int | None, assignment_number: str | None
) -> tuple[Assignment, Case, Department]:
    found = access.find_assignment(
        session, actor, assignment_id=assignment_id, assignment_number=assignment_number
    )
    assignment = access.liaison_assignment(session, actor, found)
    # Updates are handled concurrently: lock the case, then re-read the assignment, so a
    # double tap (or two departments completing at once) acts on what the other one left.
    case = session.get(Case, assignment.case_id, with_for_update=True, populate_existing=True)
    session.refresh(assignment)
    dept = session.get(Department, assignment.department_id)
    assert case is not None and dept is not None
    return assignment, case, dept


def _closed_refusal(assignment: Assignment) -> InvalidState:
    if assignment.status == AssignmentStatus.COMPLETED:
        return InvalidState("Assignment {number} is already completed.", number=assignment.number)
    if assignment.status == AssignmentStatus.RETURNED:
        return InvalidState("Assignment {number} was returned.", number=assignment.number)
    return InvalidState("Assignment {number} is no longer open.", number=assignment.number)


def check_action(
    session: Session,
    *,
    actor: Actor,
    action: str,
    assignment_id: int | None = None,
    assignment_number: str | None = None,
) -> Assignment:
    """Refuse early (before the liaison types a reason or result) what would be refused later."""
    assignment, _case, _dept = _mine(session, actor, assignment_id, assignment_number)
    if action == "done" and assignment.status == AssignmentStatus.ISSUED:
        raise InvalidState("Sign for assignment {number} first.", number=assignment.number)
    if action in ("done", "prog") and assignment.status != AssignmentStatus.ACKNOWLEDGED:
        raise _closed_refusal(assignment)
    if action in ("ret", "ask") and assignment.status not in OPEN:
        raise _closed_refusal(assignment)
    return assignment


def acknowledge(
    session: Session,
    *,
    actor: Actor,
    assignment_id: int | None = None,
    assignment_number: str | None = None,
    rules: Rules,
) -> Assignment:
    """签收: the liaison signs for the assignment personally."""
    now = rules.now()
    assignment, case, dept = _mine(session, actor, assignment_id, assignment_number)
    if assignment.status == AssignmentStatus.ACKNOWLEDGED:
        raise InvalidState("Assignment {number} is already signed for.", number=assignment.number)
    if assignment.status != AssignmentStatus.ISSUED:
        raise _closed_refusal(assignment)
    before = {"status": assignment.status}
    assignment.status = AssignmentStatus.ACKNOWLEDGED
    assignment.acknowledged_at = now
    assignment.acknowledged_by_user_id = actor.id
    refresh_next_check(session, assignment, rules=rules)
    audit.record(
        session,
        actor_id=actor.id,
        action="assignment.acknowledge",
        entity="assignments",
        entity_id=assignment.id,
        before=before,
        after={"status": assignment.status},
        at=now,
    )
    notify.tell(
        session,
        notify.contacts_for(session, case),
        rules=rules,
        template="assignment.acknowledged",
        key=f"asg:{assignment.id}:ack",
        render=partial(assignment_messages.acknowledged, department=dept, case_number=case.number),
    )
    live.refresh_assignment_card(session, assignment, rules=rules)
    return assignment


def return_assignment(
    session: Session,
    *,
    actor: Actor,
    assignment_id: int | None = None,
    assignment_number: str | None = None,
    reason: str,
    rules: Rules,
) -> Assignment:
    """退回: not this department's matter; it goes back to the office for re-dispatch."""
    now = rules.now()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("A return needs a reason (which department it belongs to, and why).")
    assignment, case, dept = _mine(session, actor, assignment_id, assignment_number)
    if assignment.status not in OPEN:
        raise _closed_refusal(assignment)
    before = {"status": assignment.status}
    assignment.status = AssignmentStatus.RETURNED
    assignment.returned_at = now
    assignment.return_reason = reason
    refresh_next_check(session, assignment, rules=rules)
    still_open = session.exec(
        select(Assignment.id).where(
            Assignment.case_id == case.id,
            col(Assignment.status).in_((*OPEN, AssignmentStatus.COMPLETED)),
        )
    ).first()
    if still_open is None:
        case.status = CaseStatus.NEW
        session.add(case)
        live.refresh_case_announcement(session, case, rules=rules)
    live.refresh_assignment_card(session, assignment, rules=rules)
    audit.record(
        session,
        actor_id=actor.id,
        action="assignment.return",
        entity="assignments",
        entity_id=assignment.id,
        data={"reason": reason},
        before=before,
        after={"status": assignment.status},
        at=now,
    )
    notify.tell(
        session,
        notify.office_for(session, case),
        rules=rules,
        template="assignment.returned",
        key=f"asg:{assignment.id}:returned",
        render=partial(
            assignment_messages.returned,
            department=dept,
            number=assignment.number,
            reason=reason,
            facts=case_facts(session, case),
        ),
    )
    return assignment


def add_progress(
    session: Session,
    *,
    actor: Actor,
    assignment_id: int | None = None,
    assignment_number: str | None = None,
    text: str,
    rules: Rules,
) -> Note:
    now = rules.now()
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Please write the progress note.")
    assignment = check_action(
        session,
        actor=actor,
        action="prog",
        assignment_id=assignment_id,
        assignment_number=assignment_number,
    )
    note = Note(
        case_id=assignment.case_id,
        assignment_id=assignment.id,
        author_user_id=actor.id,
        kind=NoteKind.PROGRESS,
        text=text,
        created_at=now,
    )
    session.add(note)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="note.progress",
        entity="notes",
        entity_id=note.id,
        data={"assignment": assignment.number},
        at=now,
    )
    return note


def complete(
    session: Session,
    *,
    actor: Actor,
    assignment_id: int | None = None,
    assignment_number: str | None = None,
    result: str,
    attachments: Sequence[dict[str, str]] = (),
    rules: Rules,
) -> Assignment:
    """办结: record the result; when every department is done, ask the enterprise to confirm."""
    now = rules.now()
    result = (result or "").strip()
    if not result:
        raise InvalidInput("Please describe the result: what was done for the enterprise.")
    assignment = check_action(
        session,
        actor=actor,
        action="done",
        assignment_id=assignment_id,
        assignment_number=assignment_number,
    )
    case = session.get(Case, assignment.case_id)
    dept = session.get(Department, assignment.department_id)
    assert case is not None and dept is not None
    before = {"status": assignment.status}
    assignment.status = AssignmentStatus.COMPLETED
    assignment.completed_at = now
    assignment.completed_by_user_id = actor.id
    assignment.result = result
    close_order(session, assignment, now=now)
    refresh_next_check(session, assignment, rules=rules)
    files = add_attachments(
        session, case=case, attachments=attachments, uploader=actor.id, assignment_id=assignment.id
    )
    audit.record(
        session,
        actor_id=actor.id,
        action="assignment.complete",
        entity="assignments",
        entity_id=assignment.id,
        data={"late": now > assignment.due_at},
        before=before,
        after={"status": assignment.status, "result": result},
        at=now,
    )
    key = f"asg:{assignment.id}:done:{assignment.reopened_count}"

    render = partial(
        assignment_messages.completed, department=dept, number=assignment.number, result=result
    )
    notify.tell(
        session,
        notify.contacts_for(session, case),
        rules=rules,
        template="assignment.completed",
        key=key,
        render=render,
        attachments=files or None,
    )
    office = notify.office_for(session, case) + notify.heads_of(session, assignment.department_id)
    office += notify.efficiency_head(session, case)
    notify.tell(
        session,
        office,
        rules=rules,
        template="assignment.completed.office",
        key=key + ".office",
        render=render,
        exclude=actor.id,
    )
    live.refresh_assignment_card(session, assignment, rules=rules)
    _maybe_complete_case(session, case, now, rules=rules)
    return assignment


def _maybe_complete_case(
    session: Session,
    case: Case,
    now: datetime,
    *,
    rules: Rules,
) -> None:
    """All active assignments completed (and no return waiting): ask the enterprise to confirm."""
    statuses = session.exec(
        select(Assignment.status, Assignment.return_handled_at).where(Assignment.case_id == case.id)
    ).all()
    active = [s for s, _ in statuses if s != AssignmentStatus.RETURNED]
    waiting_returns = [
        1 for s, handled in statuses if s == AssignmentStatus.RETURNED and handled is None
    ]
    if not active or waiting_returns or any(s != AssignmentStatus.COMPLETED for s in active):
        return
    if case.status != CaseStatus.DISPATCHED:
        return
    case.status = CaseStatus.AWAITING_CONFIRMATION
    case.completed_at = now
    case.confirm_due_at = rules.calendar.add(now, rules.sla(case.category).confirmation)
    session.add(case)
    audit.record(
        session, actor_id=None, action="case.completed", entity="cases", entity_id=case.id, at=now
    )
    live.refresh_case_announcement(session, case, rules=rules)

    notify.tell(
        session,
        notify.contacts_for(session, case),
        rules=rules,
        template="case.confirm",
        key=f"case:{case.id}:confirm:{now.timestamp():.6f}",
        render=partial(
            confirmation_messages.ask,
            case_id=case.id,  # type: ignore[arg-type]  # stored rows have an id
            number=case.number,
            due=case.confirm_due_at,
            zone=rules.zone,
        ),
        live_key=live.confirm_key(case.id),  # type: ignore[arg-type]  # stored rows have an id
    )


def tasks(
    session: Session, *, actor: Actor, limit: int, include_done: bool = False
) -> list[Assignment]:
    """The department's assignments, for its liaison and head; open ones first by deadline."""
    departments = actor.department_ids(*DEPARTMENT_ROLES)
    if not departments:
        raise NotAllowed("Only department liaisons and heads have assignments.")
    statuses = (*OPEN, AssignmentStatus.COMPLETED) if include_done else OPEN
    return list(
        session.exec(
            select(Assignment)
            .where(
                col(Assignment.department_id).in_(departments), col(Assignment.status).in_(statuses)
            )
            .order_by(col(Assignment.due_at))
            .limit(limit)
        ).all()
    )


def card(
    session: Session,
    *,
    actor: Actor,
    assignment_id: int,
    rules: Rules,
) -> tuple[assignment_messages.Card, bool]:
    """The assignment card, and whether the actor is its department's liaison (gets buttons)."""
    assignment = access.assignment_by_id(session, actor, assignment_id)
    shown = card_of(session, assignment, rules)
    return shown, assignment.department_id in actor.department_ids(Role.LIAISON)
