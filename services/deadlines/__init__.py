"""When the sweep must next look at an assignment (a stand-in until the deadline engine lands).

The engine branch owns this package; this local ``refresh_next_check`` has the same name and
signature so extensions and pauses can keep ``Assignment.next_check_at`` right meanwhile.
"""

from __future__ import annotations

from sqlmodel import Session, select

from models import Assignment, Case, DeadlineChange
from models.enums import AssignmentStatus, ExtensionKind
from scheduler.reminders import plan_reminders
from services.rules import Rules

OPEN = (AssignmentStatus.ISSUED, AssignmentStatus.ACKNOWLEDGED)


def paused_since(session: Session, assignment: Assignment) -> DeadlineChange | None:
    """The pause holding the assignment's completion clock, if any."""
    return session.exec(
        select(DeadlineChange).where(
            DeadlineChange.assignment_id == assignment.id,
            DeadlineChange.kind == ExtensionKind.PAUSE,
            DeadlineChange.paused_from.is_not(None),  # type: ignore[union-attr]
            DeadlineChange.paused_until.is_(None),  # type: ignore[union-attr]
        )
    ).first()


def refresh_next_check(session: Session, assignment: Assignment, *, rules: Rules) -> None:
    """Set ``next_check_at``: none while closed or paused, else the first reminder or deadline."""
    if assignment.status not in OPEN or paused_since(session, assignment) is not None:
        assignment.next_check_at = None
        session.add(assignment)
        return
    case = session.get(Case, assignment.case_id)
    assert case is not None
    plan = plan_reminders(
        rules.calendar,
        deadline=assignment.due_at,
        offsets=rules.sla(case.category).reminders,
        issued_at=assignment.issued_at,
    )
    checks = [p.at for p in plan.points] + [assignment.due_at]
    if assignment.status == AssignmentStatus.ISSUED:
        checks.append(assignment.ack_due_at)
    assignment.next_check_at = min(checks)
    session.add(assignment)
