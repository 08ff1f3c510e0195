"""/history: one assignment's timeline, from the audit trail and the assignment's records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from models import (
    Assignment,
    AuditEvent,
    Case,
    DeadlineMark,
    Department,
    Note,
    SupervisionOrder,
)
from models.enums import OVERSIGHT_ROLES, NoteKind
from services import access
from services.cases import clock_changes
from services.deadlines.clock import ACK
from services.errors import NotFound
from services.users import Actor

Entry = tuple[datetime, str, dict[str, str]]

# Audit actions on the assignment and its supervision order, as timeline events. Notes, clock
# changes and reminders come from their own records (their texts are there, not in the event).
ACTIONS = {
    "assignment.issue": "issued",
    "assignment.acknowledge": "signed",
    "assignment.return": "returned",
    "assignment.complete": "completed",
    "assignment.reopen": "reopened",
    "assignment.overdue": "overdue",
    "supervision.issue": "supervision",
    "supervision.missed": "veto",
}
DETAILS = ("reason", "due_at", "points", "year")  # what the events' data may tell the reader
# RESULT and REOPEN notes repeat what the completion and reopen events say.
NOTES = (NoteKind.PROGRESS, NoteKind.QUESTION, NoteKind.ANSWER, NoteKind.RETURN, NoteKind.SYSTEM)


@dataclass
class History:
    assignment: Assignment
    case: Case
    department: Department | None
    order: SupervisionOrder | None
    timeline: list[Entry] = field(default_factory=list)


def may_see(session: Session, actor: Actor, assignment: Assignment, case: Case) -> bool:
    """The office, dispatchers and supervisors; the department's own people; the enterprise."""
    return (
        access.can_manage(actor, case)
        or actor.has(*OVERSIGHT_ROLES)
        or assignment.department_id in actor.department_ids()
        or case.enterprise_id in actor.enterprise_ids()
    )


def assignment_history(session: Session, *, actor: Actor, number: str) -> History:
    """The assignment's timeline, oldest first, if the actor may see it."""
    number = number.strip()
    assignment = session.exec(select(Assignment).where(Assignment.number == number)).first()
    case = session.get(Case, assignment.case_id) if assignment else None
    if assignment is None or case is None or not may_see(session, actor, assignment, case):
        # Unknown and hidden look the same: the refusal does not tell that it exists.
        raise NotFound("There is no assignment {number} that you can see.", number=number)
    assert assignment.id is not None
    order = session.exec(
        select(SupervisionOrder).where(SupervisionOrder.assignment_id == assignment.id)
    ).first()
    history = History(assignment, case, session.get(Department, assignment.department_id), order)
    notes = session.exec(
        select(Note).where(Note.assignment_id == assignment.id).order_by(col(Note.id))
    ).all()
    history.timeline = [
        *_audited(session, history, notes),
        *clock_changes(session, {assignment.id: assignment.number}),
        *_reminders(session, assignment),
        *[(n.created_at, "note." + n.kind, {"text": n.text}) for n in notes if n.kind in NOTES],
    ]
    history.timeline.sort(key=lambda entry: entry[0])
    return history


def _audited(session: Session, history: History, notes: Sequence[Note]) -> list[Entry]:
    assignment, order, dept = history.assignment, history.order, history.department
    subjects = col(AuditEvent.entity) == "assignments", col(AuditEvent.entity_id) == assignment.id
    where = subjects[0] & subjects[1]
    if order is not None:
        where = where | (
            (col(AuditEvent.entity) == "supervision_orders")
            & (col(AuditEvent.entity_id) == order.id)
        )
    events = session.exec(select(AuditEvent).where(where).order_by(col(AuditEvent.seq))).all()
    # Each completion's result: the earlier ones were kept as notes when the case reopened.
    results = [n.text for n in notes if n.kind == NoteKind.RESULT]
    results.append(assignment.result or "")
    base = {
        "number": assignment.number,
        "dept_zh": dept.name_zh if dept else "?",
        "dept_en": dept.name_en if dept else "?",
        "order": order.number if order else "",
    }
    entries: list[Entry] = []
    for event in events:
        kind = ACTIONS.get(event.action)
        if kind is None:
            continue
        data = event.data or {}
        params = {**base, **{k: str(data[k]) for k in DETAILS if data.get(k) is not None}}
        if "points" in params:
            params["points"] = f"{float(params['points']):g}"
        if kind == "completed":
            params["result"] = results.pop(0) if results else ""
            kind = "completed.late" if data.get("late") else kind
        entries.append((event.at, kind, params))
    return entries


def _reminders(session: Session, assignment: Assignment) -> list[Entry]:
    marks = session.exec(
        select(DeadlineMark)
        .where(DeadlineMark.assignment_id == assignment.id, DeadlineMark.outcome == "sent")
        .order_by(col(DeadlineMark.id))
    ).all()
    return [
        (m.at, "reminder.ack" if m.clock == ACK else "reminder.done", {"point": m.point})
        for m in marks
    ]
