"""What messages about a case or an assignment show, loaded for the renderers."""

from __future__ import annotations

from sqlmodel import Session, col, select

from models import (
    Assignment,
    Attachment,
    Case,
    Department,
    Enterprise,
    Project,
    SupervisionOrder,
)
from scheduler.deadlines import time_left
from services.deadlines.clock import paused_since
from services.messages import assignment as assignment_messages
from services.messages import common
from services.rules import Rules


def case_attachments(
    session: Session, case_id: int, assignment_id: int | None = None
) -> list[dict[str, str]]:
    query = select(Attachment).where(Attachment.case_id == case_id)
    query = query.where(Attachment.assignment_id == assignment_id)
    return [
        {"kind": a.kind, "file_id": a.file_id, "caption": a.caption or ""}
        for a in session.exec(query.order_by(col(Attachment.id))).all()
    ]


def case_facts(session: Session, case: Case) -> common.CaseFacts:
    """What identifies the case in a message: its enterprise and project, loaded once."""
    enterprise = session.get(Enterprise, case.enterprise_id)
    project = session.get(Project, case.project_id) if case.project_id else None
    return common.CaseFacts(
        case=case,
        enterprise=enterprise.name if enterprise else "?",
        project=project.name if project else None,
        major=bool(project and project.is_major),
    )


def card_of(session: Session, assignment: Assignment, rules: Rules) -> assignment_messages.Card:
    """What the assignment's card shows, loaded for the renderer."""
    case = session.get(Case, assignment.case_id)
    assert case is not None
    pause = paused_since(session, assignment)
    return assignment_messages.Card(
        assignment=assignment,
        department=session.get(Department, assignment.department_id),
        facts=case_facts(session, case),
        left=time_left(
            rules.calendar,
            now=rules.now(),
            due_at=assignment.due_at,
            paused_since=pause.paused_from if pause is not None else None,
        ),
        order=session.exec(
            select(SupervisionOrder).where(SupervisionOrder.assignment_id == assignment.id)
        ).first(),
    )
