"""The next deadline anything open is waiting for, for the sandbox clock's "next" button."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, func, select

from models import Assignment, SupervisionOrder
from models.enums import AssignmentStatus, SupervisionStatus
from services.deadlines.clock import OPEN


def next_deadline(session: Session, *, now: datetime) -> datetime | None:
    """The earliest sign-for, completion or supervision order deadline after ``now``."""
    candidates = [
        session.exec(
            select(func.min(Assignment.ack_due_at)).where(
                Assignment.status == AssignmentStatus.ISSUED, col(Assignment.ack_due_at) > now
            )
        ).one(),
        session.exec(
            select(func.min(Assignment.due_at)).where(
                col(Assignment.status).in_(OPEN), col(Assignment.due_at) > now
            )
        ).one(),
        session.exec(
            select(func.min(SupervisionOrder.due_at)).where(
                SupervisionOrder.status == SupervisionStatus.OPEN,
                col(SupervisionOrder.due_at) > now,
            )
        ).one(),
    ]
    found = [moment for moment in candidates if moment is not None]
    return min(found) if found else None
