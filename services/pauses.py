"""A pause's other half: the enterprise's answer starts the clock again; the timeline."""

from __future__ import annotations

from functools import partial

from sqlmodel import Session, col, select

from models import Assignment, DeadlineChange, Note
from scheduler.deadlines import resumed_due
from services import audit, notify
from services.deadlines import paused_since, refresh_next_check
from services.messages import extensions as messages
from services.rules import Rules


def resume_on_answer(session: Session, *, question: Note, rules: Rules) -> Assignment | None:
    """The enterprise answered the question a pause waits for: the clock runs again."""
    if question.assignment_id is None:
        return None
    assignment = session.get(
        Assignment, question.assignment_id, with_for_update=True, populate_existing=True
    )
    assert assignment is not None
    change = paused_since(session, assignment)
    if change is None or (change.details or {}).get("question_note_id") != question.id:
        return None
    now = rules.now()
    assert change.paused_from is not None
    old_due = assignment.due_at
    if change.paused_from < old_due:
        assignment.due_at = resumed_due(
            rules.calendar, due_at=old_due, paused_from=change.paused_from, resumed_at=now
        )
        assignment.deadline_version += 1
    change.paused_until = now
    change.new_due_at = assignment.due_at
    session.add(change)
    refresh_next_check(session, assignment, rules=rules)
    audit.record(
        session,
        actor_id=None,
        action="deadline.resume",
        entity="deadline_changes",
        entity_id=change.id,
        data={
            "assignment": assignment.number,
            "old_due": old_due.isoformat(),
            "new_due": assignment.due_at.isoformat(),
        },
        at=now,
    )
    notify.tell(
        session,
        notify.liaisons_of(session, assignment.department_id),
        rules=rules,
        template="deadline.resumed",
        key=f"pause:{change.id}:resumed",
        render=partial(
            messages.resumed, zone=rules.zone, number=assignment.number, new_due=assignment.due_at
        ),
    )
    return assignment


def changes_of(session: Session, assignment_ids: list[int]) -> list[DeadlineChange]:
    """Every extension and pause of these assignments, for the case timeline."""
    if not assignment_ids:
        return []
    return list(
        session.exec(
            select(DeadlineChange)
            .where(col(DeadlineChange.assignment_id).in_(assignment_ids))
            .order_by(col(DeadlineChange.id))
        ).all()
    )
