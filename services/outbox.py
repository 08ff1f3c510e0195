"""Messages the system owes people, queued in the same transaction as the change."""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Insert, Integer, String, Update, bindparam, exists, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from models import LiveMessage, OutboxFile, OutboxMessage, User
from models.enums import OutboxStatus
from models.types import UTCDateTime, utcnow

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


FILE_KINDS = ("photo", "document")


def enqueue_file(
    session: Session,
    *,
    user: User,
    template: str,
    kind: str,
    filename: str,
    content: bytes,
    dedupe_key: str,
    caption: str = "",
    not_before: datetime | None = None,
) -> OutboxMessage | None:
    """Queue a picture or document made now (a chart, a workbook); None if queued before.

    The bytes are stored with the row, so a restart or another process delivers the very file;
    the caption is plain text.
    """
    if kind not in FILE_KINDS:
        raise ValueError(f"kind must be one of {FILE_KINDS}, not {kind!r}")
    message = enqueue(
        session,
        user=user,
        template=template,
        text=caption,
        dedupe_key=dedupe_key,
        parse_mode=None,
        not_before=not_before,
        kind=kind,
    )
    if message is None:
        return None
    session.flush()
    assert message.id is not None
    session.add(OutboxFile(outbox_id=message.id, filename=filename, content=content))
    return message


def file_of(session: Session, outbox_id: int) -> OutboxFile | None:
    """The file an outbox row of kind "photo" or "document" sends."""
    return session.exec(select(OutboxFile).where(OutboxFile.outbox_id == outbox_id)).first()


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
    statement = _claim_statement(chat_id is not None, bool(skip_chats))
    params = {
        "claim_now": now,
        "claim_limit": limit,
        "claim_owner": owner,
        "claim_until": now + lease,
        "claim_chat": chat_id,
        "claim_skip": list(skip_chats),
    }
    ids = list(session.execute(statement, params).scalars())
    if not ids:
        return []
    rows = session.exec(
        select(OutboxMessage).where(col(OutboxMessage.id).in_(ids)).order_by(col(OutboxMessage.id))
    )
    return list(rows)


@functools.cache
def _claim_statement(by_chat: bool, skipping: bool) -> Update:
    """The claiming UPDATE, built once: it runs for every delivery round (this is hot)."""
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    row, earlier = table.alias("row"), table.alias("earlier")
    now = bindparam("claim_now", type_=UTCDateTime())
    # An earlier row of the same chat still owed must go first: due now, in flight, or
    # waiting for its retry (a row queued after that retry was set must not overtake it).
    blocked = exists().where(
        earlier.c.chat_id == row.c.chat_id,
        earlier.c.status == OutboxStatus.PENDING.value,
        earlier.c.id < row.c.id,
    )
    due = (
        select(row.c.id)
        .where(
            row.c.status == OutboxStatus.PENDING.value,
            row.c.next_attempt_at <= now,
            or_(row.c.lease_until.is_(None), row.c.lease_until <= now),
            ~blocked,
        )
        .order_by(row.c.id)
        .limit(bindparam("claim_limit", type_=Integer()))
        .with_for_update(skip_locked=True)
    )
    if by_chat:
        due = due.where(row.c.chat_id == bindparam("claim_chat", type_=BigInteger()))
    if skipping:
        due = due.where(row.c.chat_id.not_in(bindparam("claim_skip", expanding=True)))
    return (
        update(table)
        .where(table.c.id.in_(due.scalar_subquery()))
        .values(
            lease_owner=bindparam("claim_owner", type_=String()),
            lease_until=bindparam("claim_until", type_=UTCDateTime()),
        )
        .returning(table.c.id)
    )


_SENT = (
    update(OutboxMessage.__table__)  # type: ignore[attr-defined]
    .where(OutboxMessage.__table__.c.id == bindparam("sent_id"))  # type: ignore[attr-defined]
    .values(
        status=OutboxStatus.SENT.value,
        sent_at=bindparam("sent_at_", type_=UTCDateTime()),
        attempts=OutboxMessage.__table__.c.attempts + 1,  # type: ignore[attr-defined]
        telegram_message_id=bindparam("sent_message"),
        last_error=bindparam("sent_note", type_=String()),
        lease_owner=None,
        lease_until=None,
    )
    .returning(
        OutboxMessage.__table__.c.chat_id,  # type: ignore[attr-defined]
        OutboxMessage.__table__.c.live_key,  # type: ignore[attr-defined]
        OutboxMessage.__table__.c.kind,  # type: ignore[attr-defined]
    )
)


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
    ``note`` says why an edit was settled without changing anything. Plain statements built
    once, not the ORM's unit of work: this runs for every message delivered.
    """
    params = {"sent_id": row_id, "sent_at_": now, "sent_message": message_id, "sent_note": note}
    sent = session.execute(_SENT, params).first()
    if sent is None:
        return None
    chat_id, live_key, kind = sent
    if live_key and kind == "send":
        remember(session, live_key=live_key, chat_id=chat_id, message_id=message_id, at=now)
    return _next_of_chat(session, chat_id, now=now, owner=owner, lease=lease)


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
    """Lease the chat's earliest pending row if it is due (one index lookup: this is hot)."""
    row = session.exec(
        select(OutboxMessage)
        .where(
            col(OutboxMessage.chat_id) == chat_id, col(OutboxMessage.status) == OutboxStatus.PENDING
        )
        .order_by(col(OutboxMessage.id))
        .limit(1)
        .with_for_update()
    ).first()
    if row is None or row.next_attempt_at > now:
        return None  # a postponed row holds the chat's later rows back with it
    if row.lease_until is not None and row.lease_until > now and row.lease_owner != owner:
        return None
    row.lease_owner, row.lease_until = owner, now + lease
    session.add(row)
    return row


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
            col(OutboxMessage.chat_id) == row.chat_id,
            col(OutboxMessage.id) > row_id,
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(OutboxMessage.next_attempt_at) < until,
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
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(OutboxMessage.lease_owner).is_not(None),
            col(OutboxMessage.lease_owner).not_in(list(keep)),
        )
        .values(lease_owner=None, lease_until=None)
    )
    return session.exec(statement).rowcount or 0


def remember(
    session: Session, *, live_key: str, chat_id: int, message_id: int, at: datetime | None = None
) -> None:
    """Record (upsert) that ``chat_id`` shows the state ``live_key`` in ``message_id``."""
    values = {
        "live_key": live_key,
        "chat_id": chat_id,
        "message_id": message_id,
        "updated_at": at or utcnow(),
    }
    session.execute(_upsert_live(session.get_bind().dialect.name), values)


@functools.cache
def _upsert_live(dialect: str) -> Insert:
    """The upsert of a live message's place, built once per dialect."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(LiveMessage.__table__)  # type: ignore[attr-defined]
    return statement.on_conflict_do_update(
        index_elements=["live_key", "chat_id"],
        set_={
            "message_id": statement.excluded.message_id,
            "updated_at": statement.excluded.updated_at,
        },
    )


def supersede_edits(
    session: Session, *, live_key: str, chat_id: int, by: str, now: datetime
) -> int:
    """Settle, unsent, the chat's waiting edits of ``live_key`` other than ``by``; how many.

    The edit ``by`` shows the latest state, so the older ones would only be overwritten a
    second later. Rows being sent (leased) are left to finish.
    """
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    statement = (
        update(table)
        .where(
            table.c.live_key == live_key,
            table.c.chat_id == chat_id,
            table.c.kind == "edit",
            table.c.status == OutboxStatus.PENDING.value,
            table.c.dedupe_key != by,
            or_(table.c.lease_until.is_(None), table.c.lease_until <= now),
        )
        .values(status=OutboxStatus.SENT.value, last_error=SUPERSEDED)
    )
    return session.exec(statement).rowcount or 0


SUPERSEDED = "superseded by a later edit before it was sent"


def live_message(session: Session, *, live_key: str, chat_id: int) -> int | None:
    """The message that shows ``live_key`` in ``chat_id``, if one was recorded."""
    return session.exec(
        select(LiveMessage.message_id).where(
            LiveMessage.live_key == live_key, LiveMessage.chat_id == chat_id
        )
    ).first()
