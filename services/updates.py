"""Telegram updates: stored on arrival (the inbox), and the ids already handled."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, delete, select

from models import InboxUpdate, ProcessedUpdate
from models.base import insert_for
from models.types import utcnow
from services.rules import Rules

# Telegram redelivers only unconfirmed updates, within a day; two is a safe margin.
KEEP = timedelta(days=2)


def store(session: Session, *, update_id: int, payload: dict[str, Any]) -> bool:
    """Keep an update before Telegram is told it arrived; True if it is new (neither stored
    nor handled before), so the caller need not ask ``seen`` in another transaction.

    On the connection: every update passes here before its answer, and the ORM's work for
    one row cost more than the statements.
    """
    connection = session.connection()
    inserted = connection.execute(
        _insert_new(connection.dialect.name, _INBOX),
        {"update_id": update_id, "payload": payload, "received_at": utcnow()},
    )
    return bool(inserted.rowcount) and not seen(session, update_id)


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
    return session.connection().execute(_HANDLED, {"handled_id": update_id}).first() is not None


def mark(session: Session, update_id: int) -> None:
    """Record the update as handled (a second mark changes nothing)."""
    connection = session.connection()
    connection.execute(
        _insert_new(connection.dialect.name, _PROCESSED),
        {"update_id": update_id, "processed_at": utcnow()},
    )


_INBOX: sa.Table = InboxUpdate.__table__  # type: ignore[attr-defined]
_PROCESSED: sa.Table = ProcessedUpdate.__table__  # type: ignore[attr-defined]
_HANDLED = sa.select(_PROCESSED.c.update_id).where(
    _PROCESSED.c.update_id == sa.bindparam("handled_id")
)


@functools.cache
def _insert_new(dialect: str, table: sa.Table) -> sa.Insert:
    """An INSERT that does nothing for an update id stored already, built once."""
    statement: sa.Insert = insert_for(dialect, table).on_conflict_do_nothing(
        index_elements=["update_id"]
    )
    return statement


def prune(session: Session, *, rules: Rules) -> int:
    """Forget update ids, and stored updates, older than Telegram ever redelivers."""
    cutoff = rules.now() - KEEP
    statement = delete(ProcessedUpdate).where(col(ProcessedUpdate.processed_at) < cutoff)
    count = session.exec(statement).rowcount or 0
    inbox = delete(InboxUpdate).where(col(InboxUpdate.received_at) < cutoff)
    session.exec(inbox)
    return count
