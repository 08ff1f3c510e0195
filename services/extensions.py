"""Extensions (延期) and pauses (暂停计时) of an assignment's completion clock."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from sqlmodel import Session, select

from models import Assignment, Case, DeadlineChange, Department
from models.enums import ExtensionKind, RequestStatus, Role
from scheduler.calendar import DeadlineError
from scheduler.deadlines import ExtensionNotLater, ExtensionTooLate, extended_due
from services import access, audit, cases, notify
from services.deadline_input import refusal
from services.deadlines import paused_since, refresh_next_check
from services.errors import InvalidInput, InvalidState, NotAllowed, NotFound
from services.messages import extensions as messages
from services.rules import Rules
from services.users import Actor

OPEN = ("issued", "acknowledged")


def _locked(
    session: Session, actor: Actor, assignment_id: int | None, assignment_number: str | None
) -> tuple[Assignment, Case]:
    """The liaison's own open assignment, its case locked so double taps act once."""
    found = access.find_assignment(
        session, actor, assignment_id=assignment_id, assignment_number=assignment_number
    )
    assignment = access.liaison_assignment(session, actor, found)
    case = session.get(Case, assignment.case_id, with_for_update=True, populate_existing=True)
    session.refresh(assignment)
    assert case is not None
    if assignment.status not in OPEN:
        raise InvalidState("Assignment {number} is no longer open.", number=assignment.number)
    return assignment, case


def _before_deadline(assignment: Assignment, now: datetime) -> None:
    if now >= assignment.due_at:
        raise InvalidState(
            "The deadline of assignment {number} has passed; it can no longer be extended "
            "or paused.",
            number=assignment.number,
        )


def _open_request(session: Session, assignment: Assignment) -> DeadlineChange | None:
    return session.exec(
        select(DeadlineChange).where(
            DeadlineChange.assignment_id == assignment.id,
            DeadlineChange.kind == ExtensionKind.EXTENSION,
            DeadlineChange.status == RequestStatus.REQUESTED,
        )
    ).first()


def check_request(
    session: Session,
    *,
    actor: Actor,
    assignment_id: int | None = None,
    assignment_number: str | None = None,
    rules: Rules,
) -> Assignment:
    """Refuse before any typing what a request would be refused for."""
    assignment, _case = _locked(session, actor, assignment_id, assignment_number)
    _before_deadline(assignment, rules.now())
    if _open_request(session, assignment) is not None:
        raise InvalidState(
            "An extension of assignment {number} is already waiting for a decision.",
            number=assignment.number,
        )
    return assignment


def split_request(text: str) -> tuple[str, str]:
    """``<new date> <reason>`` as typed after the button: the first word is the date."""
    parts = (text or "").strip().split(maxsplit=1)
    if len(parts) < 2:
        raise InvalidInput(
            "Write the new deadline, then the reason, e.g. 2026-10-20 waiting for the survey."
        )
    return parts[0], parts[1].strip()


def _new_due(rules: Rules, assignment: Assignment, requested: str) -> datetime:
    try:
        return extended_due(
            rules.calendar, now=rules.now(), due_at=assignment.due_at, requested=requested
        )
    except ExtensionTooLate:
        _before_deadline(assignment, rules.now())
        raise
    except ExtensionNotLater:
        raise InvalidInput(
            "The new deadline must be later than the current one ({due}).",
            due=messages.local_time(assignment.due_at, zone=rules.zone),
        ) from None
    except DeadlineError as exc:
        raise refusal(exc) from None


def request_extension(
    session: Session,
    *,
    actor: Actor,
    assignment_id: int | None = None,
    assignment_number: str | None = None,
    requested: str,
    reason: str,
    rules: Rules,
) -> DeadlineChange:
    """The liaison asks for a later deadline; the office decides."""
    now = rules.now()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("An extension needs a reason.")
    assignment = check_request(
        session,
        actor=actor,
        assignment_id=assignment_id,
        assignment_number=assignment_number,
        rules=rules,
    )
    new_due = _new_due(rules, assignment, requested)
    change = DeadlineChange(
        assignment_id=assignment.id,  # type: ignore[arg-type]  # stored rows have an id
        kind=ExtensionKind.EXTENSION,
        reason=reason,
        requested_by_user_id=actor.id,
        requested_at=now,
        old_due_at=assignment.due_at,
        new_due_at=new_due,
    )
    session.add(change)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="extension.request",
        entity="deadline_changes",
        entity_id=change.id,
        data={"assignment": assignment.number, "new_due": new_due.isoformat(), "reason": reason},
        at=now,
    )
    case = session.get(Case, assignment.case_id)
    assert case is not None
    notify.tell(
        session,
        notify.office_for(session, case),
        rules=rules,
        template="extension.requested",
        key=f"ext:{change.id}:requested",
        render=partial(
            messages.requested,
            zone=rules.zone,
            change_id=change.id,  # type: ignore[arg-type]  # stored rows have an id
            number=assignment.number,
            department=session.get(Department, assignment.department_id),
            old_due=assignment.due_at,
            new_due=new_due,
            reason=reason,
        ),
    )
    return change


def _may_decide(actor: Actor, case: Case) -> bool:
    return actor.has(Role.DISPATCHER) or (
        actor.has(Role.PARK_OFFICER) and case.park_id in actor.park_ids()
    )


def decidable(
    session: Session, *, actor: Actor, change_id: int
) -> tuple[DeadlineChange, Assignment, Case]:
    """An extension request still waiting, locked, that the actor may decide."""
    change = session.get(DeadlineChange, change_id, with_for_update=True, populate_existing=True)
    if change is None or change.kind != ExtensionKind.EXTENSION:
        raise NotFound("That extension request does not exist.")
    assignment = session.get(
        Assignment, change.assignment_id, with_for_update=True, populate_existing=True
    )
    assert assignment is not None
    case = session.get(Case, assignment.case_id)
    assert case is not None
    if not _may_decide(actor, case):
        raise NotAllowed("Only the dispatchers and the park's officers decide extensions.")
    if change.status != RequestStatus.REQUESTED:
        raise InvalidState(
            "The extension of assignment {number} has already been decided.",
            number=assignment.number,
        )
    if assignment.status not in OPEN:
        raise InvalidState("Assignment {number} is no longer open.", number=assignment.number)
    return change, assignment, case


def check_decision(session: Session, *, actor: Actor, change_id: int) -> Assignment:
    """Refuse a stale Deny button before the reason is typed."""
    return decidable(session, actor=actor, change_id=change_id)[1]


def approve(session: Session, *, actor: Actor, change_id: int, rules: Rules) -> Assignment:
    """The deadline moves; reminders start anew; the department and the enterprise are told."""
    now = rules.now()
    change, assignment, case = decidable(session, actor=actor, change_id=change_id)
    assert change.new_due_at is not None
    if change.new_due_at <= assignment.due_at:
        raise InvalidState(
            "The deadline of assignment {number} is already later than the one asked for.",
            number=assignment.number,
        )
    change.old_due_at = assignment.due_at
    change.status = RequestStatus.APPROVED
    change.decided_by_user_id = actor.id
    change.decided_at = now
    assignment.due_at = change.new_due_at
    assignment.deadline_version += 1
    session.add(change)
    refresh_next_check(session, assignment, rules=rules)
    audit.record(
        session,
        actor_id=actor.id,
        action="extension.approve",
        entity="deadline_changes",
        entity_id=change.id,
        data={
            "assignment": assignment.number,
            "old_due": change.old_due_at.isoformat(),
            "new_due": change.new_due_at.isoformat(),
        },
        before={"due_at": change.old_due_at.isoformat()},
        after={"due_at": assignment.due_at.isoformat()},
        at=now,
    )
    told = notify.liaisons_of(session, assignment.department_id)
    told += notify.heads_of(session, assignment.department_id)
    told += notify.contacts_for(session, case)
    notify.tell(
        session,
        told,
        rules=rules,
        template="extension.approved",
        key=f"ext:{change.id}:approved",
        render=partial(
            messages.approved,
            zone=rules.zone,
            number=assignment.number,
            case_number=case.number,
            new_due=change.new_due_at,
        ),
    )
    return assignment


def deny(
    session: Session, *, actor: Actor, change_id: int, reason: str, rules: Rules
) -> Assignment:
    """The deadline stays; the liaison is told why."""
    now = rules.now()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Please give the liaison a reason for the denial.")
    change, assignment, _case = decidable(session, actor=actor, change_id=change_id)
    change.status = RequestStatus.REJECTED
    change.decided_by_user_id = actor.id
    change.decided_at = now
    change.details = {**(change.details or {}), "decision_reason": reason}
    session.add(change)
    audit.record(
        session,
        actor_id=actor.id,
        action="extension.deny",
        entity="deadline_changes",
        entity_id=change.id,
        data={"assignment": assignment.number, "reason": reason},
        at=now,
    )
    notify.tell(
        session,
        notify.liaisons_of(session, assignment.department_id),
        rules=rules,
        template="extension.denied",
        key=f"ext:{change.id}:denied",
        render=partial(
            messages.denied,
            zone=rules.zone,
            number=assignment.number,
            due=assignment.due_at,
            reason=reason,
        ),
    )
    return assignment


def check_pause(
    session: Session,
    *,
    actor: Actor,
    assignment_id: int | None = None,
    assignment_number: str | None = None,
    rules: Rules,
) -> Assignment:
    """Refuse before any typing what a pause would be refused for."""
    assignment, _case = _locked(session, actor, assignment_id, assignment_number)
    _before_deadline(assignment, rules.now())
    if paused_since(session, assignment) is not None:
        raise InvalidState(
            "The clock of assignment {number} is already paused.", number=assignment.number
        )
    return assignment


def pause(
    session: Session,
    *,
    actor: Actor,
    assignment_id: int | None = None,
    assignment_number: str | None = None,
    reason: str,
    rules: Rules,
) -> Assignment:
    """Stop the completion clock and ask the enterprise; its answer starts the clock again."""
    now = rules.now()
    assignment = check_pause(
        session,
        actor=actor,
        assignment_id=assignment_id,
        assignment_number=assignment_number,
        rules=rules,
    )
    if not (reason or "").strip():
        raise InvalidInput("A pause needs a reason: what the enterprise must send.")
    # The reason is the question: what the department waits for from the enterprise.
    question = cases.ask_enterprise(
        session, actor=actor, assignment_id=assignment.id, question=reason, rules=rules
    )
    change = DeadlineChange(
        assignment_id=assignment.id,  # type: ignore[arg-type]  # stored rows have an id
        kind=ExtensionKind.PAUSE,
        status=RequestStatus.APPROVED,
        reason=question.text,
        requested_by_user_id=actor.id,
        requested_at=now,
        decided_by_user_id=actor.id,
        decided_at=now,
        old_due_at=assignment.due_at,
        paused_from=now,
        details={"question_note_id": question.id},
    )
    session.add(change)
    session.flush()
    refresh_next_check(session, assignment, rules=rules)
    audit.record(
        session,
        actor_id=actor.id,
        action="deadline.pause",
        entity="deadline_changes",
        entity_id=change.id,
        data={"assignment": assignment.number, "reason": question.text},
        at=now,
    )
    return assignment
