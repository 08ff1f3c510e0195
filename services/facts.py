"""What messages about a case or an assignment show, loaded for the renderers."""

from __future__ import annotations

import sqlalchemy as sa
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
    if assignment_id is None:
        found = session.exec(_CASE_FILES, params={"case_id": case_id})
    else:
        found = session.exec(
            _ASSIGNMENT_FILES, params={"case_id": case_id, "assignment_id": assignment_id}
        )
    return [{"kind": a.kind, "file_id": a.file_id, "caption": a.caption or ""} for a in found.all()]


# Built once: every card and announcement shown lists the files.
_CASE_FILES = (
    select(Attachment)
    .where(Attachment.case_id == sa.bindparam("case_id"), col(Attachment.assignment_id).is_(None))
    .order_by(col(Attachment.id))
)
_ASSIGNMENT_FILES = (
    select(Attachment)
    .where(
        Attachment.case_id == sa.bindparam("case_id"),
        Attachment.assignment_id == sa.bindparam("assignment_id"),
    )
    .order_by(col(Attachment.id))
)
_ORDER = select(SupervisionOrder).where(
    SupervisionOrder.assignment_id == sa.bindparam("assignment_id")
)


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
        order=session.exec(_ORDER, params={"assignment_id": assignment.id}).first(),
    )
