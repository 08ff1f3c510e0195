"""Audit trail: every state change is recorded with who, what and when, in a hash chain.

Each event carries ``prev_hash`` (the hash of the event before it) and ``hash`` (sha256 over a
canonical JSON of its own fields and ``prev_hash``), and a gapless position ``seq``. Editing,
deleting or re-ordering a past event breaks the chain, and ``verify`` names the first event
where it breaks. The database refuses UPDATE and DELETE on the table (migration 0004).

Order: ``record`` takes the one row of ``audit_head`` with an UPDATE, which locks it until the
transaction ends (PostgreSQL row lock; on SQLite the database write lock, which the writer
holds anyway). So appends are serialised: a second transaction that records an event waits at
its ``record`` until the first commits or rolls back, then reads the head the first left. The
chain cannot fork, and chain order is commit order. The cost is that every writing transaction
holds that lock from its first audit event to its commit; the services record the event at
the end of their change and commit soon after, so the lock is held for the outbox inserts that
follow it (benchmarks/audit.py measures it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import AuditEvent, AuditHead
from models.types import utcnow

GENESIS = "0" * 64
HASHED = ("seq", "at", "actor_user_id", "action", "entity", "entity_id", "data", "before", "after")


def _plain(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """The value as JSON gives it back (string keys, lists), so the stored row hashes the same."""
    if value is None:
        return None
    loaded: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return loaded


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(fields: dict[str, Any], prev_hash: str) -> str:
    """sha256 of the canonical JSON of an event's fields and the previous event's hash."""
    body = {name: fields.get(name) for name in HASHED}
    body["at"] = _instant(fields["at"])
    body["prev_hash"] = prev_hash
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def hash_of(event: AuditEvent) -> str:
    """The hash a stored event should carry, from its fields as stored."""
    return event_hash({name: getattr(event, name) for name in HASHED}, event.prev_hash)


def _take_head(session: Session) -> tuple[int, str]:
    """Lock the chain's head for this transaction and return (next seq, previous hash)."""
    # One UPDATE both locks the row (PostgreSQL waits here for another appender's commit and
    # then sees its head) and, on SQLite, starts the write transaction before the read, so no
    # other connection can append between them.
    row = session.execute(
        sa.update(AuditHead)
        .where(col(AuditHead.id) == 1)
        .values(seq=AuditHead.seq + 1)
        .returning(col(AuditHead.seq), col(AuditHead.hash))
    ).one_or_none()
    if row is None:
        raise RuntimeError("audit_head has no row; run the database migrations")
    return row[0], row[1]


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None,
    data: dict[str, Any] | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append an audit event to the chain, in the current transaction."""
    seq, prev_hash = _take_head(session)
    fields: dict[str, Any] = {
        "seq": seq,
        "at": at or utcnow(),
        "actor_user_id": actor_id,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "data": _plain(data),
        "before": _plain(before),
        "after": _plain(after),
    }
    digest = event_hash(fields, prev_hash)
    session.execute(sa.update(AuditHead).where(col(AuditHead.id) == 1).values(hash=digest))
    event = AuditEvent(**fields, prev_hash=prev_hash, hash=digest)
    session.add(event)
    return event


@dataclass(frozen=True)
class Break:
    """The first event where the chain does not hold, and why."""

    event_id: int | None
    at: datetime | None
    action: str
    reason: str


@dataclass(frozen=True)
class Verdict:
    count: int
    head: str  # the last event's hash: note it down to detect a rewritten chain later
    broken: Break | None


def _events(session: Session) -> Iterator[AuditEvent]:
    """Every event in the order it was appended (ids grow with the chain), a batch at a time."""
    statement = select(AuditEvent).order_by(col(AuditEvent.id)).execution_options(yield_per=1000)
    yield from session.exec(statement)


def _check(session: Session, event: AuditEvent, seq: int, prev: str) -> str | None:
    """Why ``event`` cannot be the ``seq``-th link after ``prev``, or None."""
    if event.seq != seq:
        elsewhere = session.exec(select(AuditEvent.id).where(AuditEvent.seq == seq)).first()
        if event.seq > seq and elsewhere is None:
            return (
                f"gap: event {seq}"
                + (f" to {event.seq - 1}" if event.seq - 1 > seq else "")
                + " of the chain is missing (deleted)"
            )
        return f"out of order: chain position {event.seq} where {seq} belongs"
    if event.prev_hash != prev:
        return "prev link broken: its prev_hash is not the hash of the event before it"
    if hash_of(event) != event.hash:
        return "hash mismatch: the event was changed after it was recorded"
    return None


def verify(session: Session) -> Verdict:
    """Walk the chain from its start; stop at the first event that breaks it."""
    seq, prev, count = 1, GENESIS, 0
    for event in _events(session):
        reason = _check(session, event, seq, prev)
        if reason is not None:
            return Verdict(count, prev, Break(event.id, event.at, event.action, reason))
        seq, prev, count = seq + 1, event.hash, count + 1
        session.expunge(event)  # a long chain must not pile up in the identity map
    head = session.get(AuditHead, 1)
    if head is None:
        return Verdict(count, prev, Break(None, None, "", "audit_head is missing"))
    if (head.seq, head.hash) != (count, prev):
        reason = f"gap: the last events are missing (the head says {head.seq}, found {count})"
        return Verdict(count, prev, Break(None, None, "", reason))
    return Verdict(count, prev, None)
