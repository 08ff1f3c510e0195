"""Audit trail: every state change is recorded with who, what and when, in a hash chain.

Each event carries a gapless position ``seq``, ``prev_hash`` (the hash of the event before it)
and ``hash`` (sha256 over a canonical JSON of its own fields and ``prev_hash``). Editing,
deleting or re-ordering a past event breaks the chain, and ``verify`` names the first event
where it breaks. The database refuses UPDATE and DELETE of a sealed event (migration 0004).

Order: ``record`` inserts the event unsealed; the commit of its transaction seals it (``seal``,
on ``before_commit``): it takes the one row of ``audit_head`` with an UPDATE, which locks it
until the commit (a PostgreSQL row lock; on SQLite the write lock the writer holds anyway),
links the transaction's events after the head and moves the head. Two transactions appending
at once therefore seal one after the other, and the chain is in commit order; it cannot fork.
Why at commit and not at ``record``: a lock taken at ``record`` is held while the service goes
on (rendering and queueing its messages, touching the case), so every writer would wait that
long, and a writer holding the head could wait for a row another writer holds while that one
waits for the head: a deadlock. At commit the head is the last lock a transaction takes and
it holds it only for the final flush and COMMIT (benchmarks/audit.py measures the cost).
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
    return event_hash({name: getattr(event, name) for name in HASHED}, event.prev_hash or "")


HEAD: sa.Table = AuditHead.__table__  # type: ignore[attr-defined]
RECORDED = "audit.recorded"  # session.info: the events this transaction recorded
HELD = "audit.held"  # session.info: the transaction that holds the head (locked until commit)


def _take_head(session: sa.orm.Session, count: int) -> tuple[int, str]:
    """Lock the chain's head until commit, reserve ``count`` positions: (first seq, prev hash)."""
    # One UPDATE both locks the row (PostgreSQL waits here for another sealer's commit, then
    # sees its head) and, on SQLite, takes the write lock before the read.
    # On the connection, not the session: no autoflush, so unsent events go out sealed.
    row = (
        session.connection()
        .execute(
            sa.update(HEAD)
            .where(HEAD.c.id == 1)
            .values(seq=HEAD.c.seq + count)
            .returning(HEAD.c.seq, HEAD.c.hash)
        )
        .one_or_none()
    )
    if row is None:
        raise RuntimeError("audit_head has no row; run the database migrations")
    session.info[HELD] = session.get_transaction()
    return row[0] - count + 1, row[1]


def lock_head(session: sa.orm.Session) -> None:
    """Hold the chain's head until commit, as ``seal`` does (the outbox orders rows under it)."""
    if session.info.get(HELD) is not session.get_transaction():  # not held by ``seal`` already
        _take_head(session, 0)


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
    """Add an audit event to the current transaction; its commit chains it."""
    event = AuditEvent(
        at=at or utcnow(),
        actor_user_id=actor_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        data=_plain(data),
        before=_plain(before),
        after=_plain(after),
    )
    session.add(event)
    session.info.setdefault(RECORDED, []).append(event)
    return event


def _unsealed_in(session: sa.orm.Session) -> list[AuditEvent]:
    """The transaction's events still to chain, in the order they were recorded.

    Kept in a list of the session's (its identity map holds flushed rows only weakly); a
    savepoint's rollback expunges its events, so they are left out. An event not yet flushed
    is then inserted with its link: one statement, not two.
    """
    recorded: list[AuditEvent] = session.info.pop(RECORDED, [])
    return [event for event in recorded if event in session and event.hash is None]


@sa.event.listens_for(sa.orm.Session, "before_commit")
def seal(session: sa.orm.Session) -> None:
    """Chain the events this transaction recorded, as it commits (not at a savepoint)."""
    if session.in_nested_transaction():
        return
    events = _unsealed_in(session)
    if not events:  # the savepoints that recorded them were rolled back
        return
    seq, prev = _take_head(session, len(events))
    for event in events:
        event.seq, event.prev_hash = seq, prev
        event.hash = prev = hash_of(event)
        seq += 1
    session.connection().execute(sa.update(HEAD).where(HEAD.c.id == 1).values(hash=prev))


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
    """Every sealed event in chain order, a batch at a time."""
    statement = (
        select(AuditEvent)
        .where(col(AuditEvent.seq).is_not(None))
        .order_by(col(AuditEvent.seq))
        .execution_options(yield_per=1000)
    )
    yield from session.exec(statement)


def _check(session: Session, event: AuditEvent, seq: int, prev: str) -> str | None:
    """Why ``event`` cannot be the ``seq``-th link after ``prev``, or None."""
    if event.seq != seq:
        last = event.seq - 1 if event.seq else seq
        missing = f"events {seq} to {last} are" if last > seq else f"event {seq} is"
        return f"gap: {missing} missing from the chain (deleted)"
    if event.prev_hash != prev:
        before = session.exec(select(AuditEvent.id).where(AuditEvent.hash == event.prev_hash))
        found = before.first()
        if found is not None:
            return f"out of order: it was chained after event {found}, not after the one before it"
        return "prev link broken: its prev_hash is not the hash of the event before it"
    if hash_of(event) != event.hash:
        return "hash mismatch: the event was changed after it was recorded"
    return None


def _unsealed(session: Session) -> Break | None:
    """A committed event without its link: inserted behind the application's back."""
    event = session.exec(select(AuditEvent).where(col(AuditEvent.hash).is_(None))).first()
    if event is None:
        return None
    return Break(event.id, event.at, event.action, "unsealed: it is not part of the chain")


def verify(session: Session) -> Verdict:
    """Walk the chain from its start; stop at the first event that breaks it."""
    seq, prev, count = 1, GENESIS, 0
    for event in _events(session):
        reason = _check(session, event, seq, prev)
        if reason is not None:
            return Verdict(count, prev, Break(event.id, event.at, event.action, reason))
        seq, prev, count = seq + 1, event.hash or "", count + 1
        session.expunge(event)  # a long chain must not pile up in the identity map
    stray = _unsealed(session)
    if stray is not None:
        return Verdict(count, prev, stray)
    head = session.get(AuditHead, 1)
    if head is None:
        return Verdict(count, prev, Break(None, None, "", "audit_head is missing"))
    if (head.seq, head.hash) != (count, prev):
        reason = f"gap: the last events are missing (the head says {head.seq}, found {count})"
        return Verdict(count, prev, Break(None, None, "", reason))
    return Verdict(count, prev, None)
