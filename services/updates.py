"""Telegram update ids already handled, so a redelivered update changes nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, delete

from models import ProcessedUpdate
from services.rules import Rules

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


def prune(session: Session, *, rules: Rules) -> int:
    """Forget update ids older than Telegram ever redelivers."""
    cutoff = rules.now() - KEEP
    statement = delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff)  # type: ignore[arg-type]
    return session.exec(statement).rowcount or 0  # type: ignore[call-overload]
