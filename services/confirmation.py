"""The enterprise confirms the result: satisfied, mostly satisfied, or not (which reopens)."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from sqlmodel import Session, col, select

from models import Assignment, Case, Note
from models.enums import AssignmentStatus, CaseStatus, NoteKind, Satisfaction
from services import access, audit, live, notify
from services.deadlines import refresh_next_check
from services.dispatch.orders import card_of
from services.errors import InvalidInput, InvalidState, NotAllowed
from services.messages import assignment as assignment_messages
from services.messages import case as case_messages
from services.rules import Rules
from services.users import Actor

# Cases closed per sweep step; a backlog is worked off over the following sweeps.
AUTO_CONFIRM_BATCH = 500

ALIASES = {
    "s": "satisfied",
    "m": "mostly",
    "u": "unsatisfied",
    "满意": "satisfied",
    "基本满意": "mostly",
    "不满意": "unsatisfied",
}


def parse_satisfaction(text: str) -> Satisfaction:
    value = ALIASES.get(text.strip().lower(), text.strip().lower())
    try:
        return Satisfaction(value)
    except ValueError:
        raise InvalidInput("Answer satisfied, mostly or unsatisfied.") from None


def confirmable_case(session: Session, *, actor: Actor, case_id: int) -> Case:
    """The case this contact is asked to confirm (checked before they type a reason)."""
    return _confirmable(session, actor, access.case_by_id(session, actor, case_id))


def _confirmable(session: Session, actor: Actor, case: Case) -> Case:
    # A double tap on Satisfied is handled concurrently: the second waits and is refused.
    session.refresh(case, with_for_update=True)
    if case.enterprise_id not in actor.enterprise_ids():
        raise NotAllowed(
            "Only the enterprise that reported case {number} can confirm it.", number=case.number
        )
    if case.status != CaseStatus.AWAITING_CONFIRMATION:
        raise InvalidState(
            "Case {number} is not waiting for your confirmation.", number=case.number
        )
    return case


def confirm(
    session: Session,
    *,
    actor: Actor,
    case_id: int | None = None,
    case_number: str | None = None,
    satisfaction: Satisfaction,
    note: str = "",
    rules: Rules,
) -> Case:
    """Close the case, or (not satisfied) reopen its completed assignments with a new deadline."""
    now = rules.now()
    case = _confirmable(
        session, actor, access.find_case(session, actor, case_id=case_id, case_number=case_number)
    )
    note = (note or "").strip()
    if satisfaction == Satisfaction.UNSATISFIED and not note:
        raise InvalidInput("Please say what is still wrong, so the departments can fix it.")
    case.satisfaction = satisfaction
    case.satisfaction_note = note or None
    audit.record(
        session,
        actor_id=actor.id,
        action="case.confirm",
        entity="cases",
        entity_id=case.id,
        data={"satisfaction": satisfaction.value, "note": note},
        at=now,
    )
    if satisfaction != Satisfaction.UNSATISFIED:
        case.status = CaseStatus.CLOSED
        case.closed_at = now
        session.add(case)
        _tell_office_closed(session, case, satisfaction, note, rules)
    else:
        _reopen(session, actor, case, note, rules, now)
    live.refresh_confirmation(session, case, rules=rules)
    live.refresh_case_announcement(session, case, rules=rules)
    return case


def _tell_office_closed(
    session: Session, case: Case, satisfaction: str, note: str, rules: Rules
) -> None:
    notify.tell(
        session,
        notify.office_for(session, case),
        rules=rules,
        template="case.closed",
        key=f"case:{case.id}:closed",
        render=partial(
            case_messages.closed, number=case.number, satisfaction=satisfaction, note=note
        ),
    )


def _reopen(
    session: Session,
    actor: Actor,
    case: Case,
    reason: str,
    rules: Rules,
    now: datetime,
) -> None:
    due = rules.calendar.add(now, rules.sla(case.category).completion)
    reopened = session.exec(
        select(Assignment)
        .where(Assignment.case_id == case.id, Assignment.status == AssignmentStatus.COMPLETED)
        .order_by(col(Assignment.id))
    ).all()
    assert case.id is not None
    for assignment in reopened:
        # The timeline keeps the earlier result (the assignment's own fields move on).
        session.add(
            Note(
                case_id=case.id,
                assignment_id=assignment.id,
                author_user_id=assignment.completed_by_user_id,
                kind=NoteKind.RESULT,
                text=assignment.result or "",
                created_at=assignment.completed_at or now,
            )
        )
        session.add(
            Note(
                case_id=case.id,
                assignment_id=assignment.id,
                author_user_id=actor.id,
                kind=NoteKind.REOPEN,
                text=reason,
                created_at=now,
            )
        )
        assignment.status = AssignmentStatus.ACKNOWLEDGED
        assignment.completed_at = None
        assignment.completed_by_user_id = None
        assignment.reopened_count += 1
        assignment.due_at = due
        assignment.deadline_version += 1
        refresh_next_check(session, assignment, rules=rules)
        audit.record(
            session,
            actor_id=actor.id,
            action="assignment.reopen",
            entity="assignments",
            entity_id=assignment.id,
            data={"reason": reason, "due_at": due.isoformat()},
            at=now,
        )
    case.status = CaseStatus.DISPATCHED
    case.completed_at = None
    case.confirm_due_at = None
    session.add(case)
    session.flush()
    for assignment in reopened:
        live.refresh_assignment_card(session, assignment, rules=rules)
        _tell_reopened(session, case, assignment, reason, rules)


def _tell_reopened(
    session: Session,
    case: Case,
    assignment: Assignment,
    reason: str,
    rules: Rules,
) -> None:
    key = f"asg:{assignment.id}:reopen:{assignment.reopened_count}"
    notify.tell(
        session,
        notify.liaisons_of(session, assignment.department_id),
        rules=rules,
        template="assignment.reopened",
        key=key,
        render=partial(
            assignment_messages.reopened,
            card=card_of(session, assignment, rules),
            reason=reason,
            zone=rules.zone,
        ),
        live_key=live.card_key(assignment.id),  # type: ignore[arg-type]  # stored rows have an id
    )
    notify.tell(
        session,
        notify.office_for(session, case) + notify.heads_of(session, assignment.department_id),
        rules=rules,
        template="assignment.reopened.office",
        key=key + ".office",
        render=partial(
            assignment_messages.reopened_office, number=assignment.number, reason=reason
        ),
    )


def auto_confirm(session: Session, *, rules: Rules) -> int:
    """Sweep step: no answer in time closes the case as confirmed by default, recorded as such."""
    now = rules.now()
    due = session.exec(
        select(Case)
        .where(
            Case.status == CaseStatus.AWAITING_CONFIRMATION,
            col(Case.confirm_due_at) <= now,
        )
        .limit(AUTO_CONFIRM_BATCH)
    ).all()
    for case in due:
        case.status = CaseStatus.CLOSED
        case.closed_at = now
        case.confirmed_by_default = True
        session.add(case)
        audit.record(
            session,
            actor_id=None,
            action="case.confirm_default",
            entity="cases",
            entity_id=case.id,
            at=now,
        )

        notify.tell(
            session,
            notify.contacts_for(session, case) + notify.office_for(session, case),
            rules=rules,
            template="case.closed.default",
            key=f"case:{case.id}:closed.default",
            render=partial(case_messages.closed_default, number=case.number),
        )
        live.refresh_confirmation(session, case, rules=rules)
        live.refresh_case_announcement(session, case, rules=rules)
    return len(due)
