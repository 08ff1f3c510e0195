"""Telegram update ids already handled, so a redelivered update changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete

from models import ProcessedUpdate
from models.types import utcnow

# Telegram redelivers only unconfirmed updates, within a day; two is a safe margin.
KEEP = timedelta(days=2)


def seen(session: Session, update_id: int) -> bool:
    return session.get(ProcessedUpdate, update_id) is not None


def mark(session: Session, update_id: int) -> None:
    session.add(ProcessedUpdate(update_id=update_id))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()


def prune(session: Session, *, now: datetime | None = None) -> int:
    """Forget update ids older than Telegram ever redelivers."""
    cutoff = (now or utcnow()) - KEEP
    statement = delete(ProcessedUpdate).where(col(ProcessedUpdate.processed_at) < cutoff)
    return session.exec(statement).rowcount or 0
