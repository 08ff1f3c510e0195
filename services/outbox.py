"""Messages the system owes people, queued in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import exists, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from models import LiveMessage, OutboxMessage, User
from models.enums import OutboxStatus
from models.types import utcnow

Button = dict[str, str]  # {"text": label, "data": callback_data}


def enqueue(
    session: Session,
    *,
    user: User,
    template: str,
    text: str,
    dedupe_key: str,
    buttons: Sequence[Sequence[Button]] | None = None,
    attachments: Sequence[dict[str, str]] | None = None,
    parse_mode: str | None = "HTML",
    not_before: datetime | None = None,
    kind: str = "send",
    live_key: str | None = None,
) -> OutboxMessage | None:
    """Queue ``text`` for ``user`` once per ``dedupe_key``; None if it was queued before.

    ``live_key`` names the state the message shows (see services/live.py); ``kind="edit"``
    replaces the text and buttons of the message last delivered under that key instead.
    """
    existing = session.exec(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    ).first()
    if existing is not None:
        return None
    if user.id is None:
        session.flush()
    message = OutboxMessage(
        chat_id=user.telegram_id,
        user_id=user.id,
        template=template,
        text=text,
        parse_mode=parse_mode,
        buttons=[list(row) for row in buttons] if buttons else None,
        attachments=list(attachments) if attachments else None,
        dedupe_key=dedupe_key,
        next_attempt_at=not_before or utcnow(),
        kind=kind,
        live_key=live_key,
    )
    session.add(message)
    return message


# -- delivery bookkeeping (bot/outbox.py sends; these decide what and record the outcome) --------


def claim(
    session: Session,
    *,
    owner: str,
    now: datetime,
    limit: int,
    lease: timedelta,
    chat_id: int | None = None,
    skip_chats: Collection[int] = (),
) -> list[OutboxMessage]:
    """Lease the earliest due row of up to ``limit`` chats to ``owner``: one per chat, in order.

    One UPDATE picks and leases the rows, so two processes never lease the same row: SQLite
    runs it under its write lock, and on PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets several
    processes claim at once without waiting for, or taking, each other's rows.
    """
    row, earlier = aliased(OutboxMessage), aliased(OutboxMessage)
    # An earlier row of the same chat still owed now, or in flight, must go first.
    blocked = exists().where(
        earlier.chat_id == row.chat_id,
        earlier.status == OutboxStatus.PENDING,
        earlier.id < row.id,  # type: ignore[operator]
        or_(earlier.next_attempt_at <= now, earlier.lease_until > now),  # type: ignore[operator]
    )
    due = (
        select(row.id)
        .where(
            row.status == OutboxStatus.PENDING,
            row.next_attempt_at <= now,  # type: ignore[operator]
            or_(row.lease_until.is_(None), row.lease_until <= now),  # type: ignore[union-attr,operator]
            ~blocked,
        )
        .order_by(row.id)  # type: ignore[arg-type]
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if chat_id is not None:
        due = due.where(row.chat_id == chat_id)
    if skip_chats:
        due = due.where(row.chat_id.not_in(list(skip_chats)))  # type: ignore[attr-defined]
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))  # type: ignore[union-attr]
        .values(lease_owner=owner, lease_until=now + lease)
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )
    rows = list(session.exec(statement).scalars())  # type: ignore[call-overload]
    return sorted(rows, key=lambda r: r.id)


def mark_sent(
    session: Session,
    *,
    row_id: int,
    message_id: int,
    now: datetime,
    owner: str,
    lease: timedelta,
    note: str | None = None,
) -> OutboxMessage | None:
    """Record one delivered row and lease the chat's next row, in one transaction.

    A sent row with a ``live_key`` also records where its message lives, for later edits;
    ``note`` says why an edit was settled without changing anything.
    """
    row = session.get(OutboxMessage, row_id)
    if row is None:
        return None
    row.status = OutboxStatus.SENT
    row.sent_at = now
    row.attempts += 1
    row.telegram_message_id = message_id
    row.last_error = note
    row.lease_owner = row.lease_until = None
    session.add(row)
    if row.live_key and row.kind == "send":
        remember(session, live_key=row.live_key, chat_id=row.chat_id, message_id=message_id, at=now)
    session.flush()
    return _next_of_chat(session, row.chat_id, now=now, owner=owner, lease=lease)


def mark_failed(
    session: Session, *, row_id: int, error: str, now: datetime, owner: str, lease: timedelta
) -> OutboxMessage | None:
    """Give up on a row (recorded, never silently) and lease the chat's next row."""
    row = session.get(OutboxMessage, row_id)
    if row is None:
        return None
    row.status = OutboxStatus.FAILED
    row.attempts += 1
    row.last_error = error[:500]
    row.lease_owner = row.lease_until = None
    session.add(row)
    session.flush()
    return _next_of_chat(session, row.chat_id, now=now, owner=owner, lease=lease)


def _next_of_chat(
    session: Session, chat_id: int, *, now: datetime, owner: str, lease: timedelta
) -> OutboxMessage | None:
    rows = claim(session, owner=owner, now=now, limit=1, lease=lease, chat_id=chat_id)
    return rows[0] if rows else None


def postpone(
    session: Session, *, row_id: int, error: str, until: datetime, count: bool
) -> datetime:
    """Retry a row at ``until``; the chat's later rows wait behind it, keeping their order."""
    row = session.get(OutboxMessage, row_id)
    if row is None:
        return until
    row.attempts += 1 if count else 0
    row.last_error = error[:500]
    row.next_attempt_at = until
    row.lease_owner = row.lease_until = None
    session.add(row)
    later = session.exec(
        select(OutboxMessage).where(
            OutboxMessage.chat_id == row.chat_id,
            OutboxMessage.id > row_id,  # type: ignore[operator]
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.next_attempt_at < until,  # type: ignore[arg-type]
        )
    ).all()
    for other in later:
        other.next_attempt_at = until
        session.add(other)
    return until


def record_parts(session: Session, *, row_id: int, parts: int, first_id: int) -> None:
    """Remember delivered pieces of a multi-part message, so a retry resumes after them."""
    row = session.get(OutboxMessage, row_id)
    if row:
        row.parts_sent = parts
        row.telegram_message_id = first_id
        session.add(row)


def release_leases(session: Session, *, keep: Collection[str]) -> int:
    """Free rows leased by owners not in ``keep`` (processes that are gone); how many."""
    statement = (
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.lease_owner.is_not(None),  # type: ignore[union-attr]
            OutboxMessage.lease_owner.not_in(list(keep)),  # type: ignore[union-attr]
        )
        .values(lease_owner=None, lease_until=None)
    )
    return session.exec(statement).rowcount or 0  # type: ignore[call-overload]


def remember(
    session: Session, *, live_key: str, chat_id: int, message_id: int, at: datetime | None = None
) -> None:
    """Record (upsert) that ``chat_id`` shows the state ``live_key`` in ``message_id``."""
    when = at or utcnow()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(LiveMessage)
        .values(live_key=live_key, chat_id=chat_id, message_id=message_id, updated_at=when)
        .on_conflict_do_update(
            index_elements=["live_key", "chat_id"],
            set_={"message_id": message_id, "updated_at": when},
        )
    )
    session.execute(statement)


def live_message(session: Session, *, live_key: str, chat_id: int) -> int | None:
    """The message that shows ``live_key`` in ``chat_id``, if one was recorded."""
    return session.exec(
        select(LiveMessage.message_id).where(
            LiveMessage.live_key == live_key, LiveMessage.chat_id == chat_id
        )
    ).first()
