"""Telegram updates: stored on arrival (the inbox), and the ids already handled."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from models import InboxUpdate, ProcessedUpdate
from models.types import utcnow
from services.rules import Rules

# Telegram redelivers only unconfirmed updates, within a day; two is a safe margin.
KEEP = timedelta(days=2)


def store(session: Session, *, update_id: int, payload: dict[str, Any]) -> bool:
    """Keep an update before Telegram is told it arrived; True if it is new (neither stored
    nor handled before), so the caller need not ask ``seen`` in another transaction."""
    if session.get(InboxUpdate, update_id) is not None:
        return False
    session.add(InboxUpdate(update_id=update_id, payload=payload))
    return not seen(session, update_id)


def unhandled(
    session: Session, *, received_before: datetime | None = None, now: datetime | None = None
) -> list[tuple[int, dict[str, Any]]]:
    """Stored updates not yet handled (a crash came first), oldest first, within KEEP."""
    cutoff = (now or utcnow()) - KEEP
    handled = select(ProcessedUpdate.update_id)
    statement = (
        select(InboxUpdate)
        .where(
            col(InboxUpdate.update_id).not_in(handled),
            col(InboxUpdate.received_at) >= cutoff,
        )
        .order_by(col(InboxUpdate.update_id))
    )
    if received_before is not None:
        statement = statement.where(col(InboxUpdate.received_at) < received_before)
    return [(row.update_id, row.payload) for row in session.exec(statement)]


def seen(session: Session, update_id: int) -> bool:
    return session.get(ProcessedUpdate, update_id) is not None


def mark(session: Session, update_id: int) -> None:
    session.add(ProcessedUpdate(update_id=update_id))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()


def prune(session: Session, *, rules: Rules) -> int:
    """Forget update ids, and stored updates, older than Telegram ever redelivers."""
    cutoff = rules.now() - KEEP
    statement = delete(ProcessedUpdate).where(col(ProcessedUpdate.processed_at) < cutoff)
    count = session.exec(statement).rowcount or 0
    inbox = delete(InboxUpdate).where(col(InboxUpdate.received_at) < cutoff)
    session.exec(inbox)
    return count
