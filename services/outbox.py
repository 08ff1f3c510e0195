"""Messages the system owes people, queued in the same transaction as the change."""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import exists, func, or_, update
from sqlmodel import Session, col, select

from models import LiveMessage, OutboxFile, OutboxMessage, User
from models.base import insert_for
from models.enums import OutboxStatus
from models.types import UTCDateTime, utcnow
from services.audit import lock_head

Button = dict[str, str]  # {"text": label, "data": callback_data}
QUEUED = "outbox.queued"  # session.info: the rows this transaction queued, in queueing order
STORED = "outbox.stored"  # session.info: (transaction, {dedupe key: stored}), see ``expect``


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
    chat_id: int | None = None,
    file_id: int | None = None,
) -> int | None:
    """Queue ``text`` for ``user`` once per ``dedupe_key``; the row's id, None if queued before.

    ``live_key`` names the state the message shows (see services/live.py); ``kind="edit"``
    replaces the text and buttons of the message last delivered under that key instead.
    ``chat_id`` sends to another chat than the user's own (a group the user wrote in).

    Written at once, on the connection: a change queues several messages, and building and
    flushing an ORM object per row cost more than the rest of the change.
    """
    if _queued_before(session, dedupe_key):
        return None
    if user.id is None:
        session.flush()
    now = utcnow()
    values = {
        "chat_id": user.telegram_id if chat_id is None else chat_id,
        "user_id": user.id,
        "template": template,
        "text": text,
        "parse_mode": parse_mode,
        "buttons": [list(row) for row in buttons] if buttons else None,
        "attachments": list(attachments) if attachments else None,
        "dedupe_key": dedupe_key,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "parts_sent": 0,
        "next_attempt_at": not_before or now,
        "created_at": now,
        "kind": kind,
        "live_key": live_key,
        "file_id": file_id,
    }
    inserted = session.connection().execute(_INSERT, values).inserted_primary_key
    assert inserted is not None
    row_id: int = inserted[0]
    _stored(session)[dedupe_key] = True
    # Its position is given at commit; the transaction tells a rolled-back one's ids apart.
    session.info.setdefault(QUEUED, []).append((session.get_transaction(), row_id))
    return row_id


def expect(session: Session, dedupe_keys: Collection[str]) -> None:
    """Look up at once which of the keys about to be queued are stored already.

    For a caller queueing several messages (one per recipient): ``enqueue`` then needs no
    query of its own for these keys.
    """
    stored = _stored(session)
    wanted = [key for key in dedupe_keys if key not in stored]
    if wanted:
        found = set(session.connection().execute(_DEDUPE_MANY, {"keys": wanted}).scalars())
        stored.update((key, key in found) for key in wanted)


def _stored(session: Session) -> dict[str, bool]:
    """Dedupe key -> stored, as looked up in the current transaction (or savepoint) only.

    A savepoint's end starts a new record: what it queued may be gone with it.
    """
    current = session.get_nested_transaction() or session.get_transaction()
    held = session.info.get(STORED)
    if held is None or held[0] is not current:
        held = session.info[STORED] = (current, {})
    stored: dict[str, bool] = held[1]
    return stored


def _queued_before(session: Session, dedupe_key: str) -> bool:
    """Whether a row with ``dedupe_key`` is stored (this transaction's own rows included).

    On the connection, not the session: no autoflush of the change being made.
    """
    stored = _stored(session).get(dedupe_key)
    if stored is None:
        stored = session.connection().execute(_DEDUPE, {"dedupe": dedupe_key}).first() is not None
    return stored


_OUTBOX: sa.Table = OutboxMessage.__table__  # type: ignore[attr-defined]
_DEDUPE = sa.select(_OUTBOX.c.id).where(_OUTBOX.c.dedupe_key == sa.bindparam("dedupe"))
_DEDUPE_MANY = sa.select(_OUTBOX.c.dedupe_key).where(
    _OUTBOX.c.dedupe_key.in_(sa.bindparam("keys", expanding=True))
)
_INSERT = _OUTBOX.insert()
_SET_SEQ = (
    _OUTBOX.update()
    .where(_OUTBOX.c.id == sa.bindparam("row_id"))
    .values(seq=sa.bindparam("position"))
)


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
    share_key: str | None = None,
    caption: str = "",
    not_before: datetime | None = None,
) -> int | None:
    """Queue a picture or document made now (a chart, a workbook); None if queued before.

    The bytes are stored in the database, so a restart or another process delivers the very
    file; rows given the same ``share_key`` send one stored file (the first one's bytes); without
    one, the row's file is its own, stored under its ``dedupe_key``. The caption is plain text.
    """
    if kind not in FILE_KINDS:
        raise ValueError(f"kind must be one of {FILE_KINDS}, not {kind!r}")
    if _queued_before(session, dedupe_key):
        return None
    key = share_key or dedupe_key
    stored = session.exec(select(OutboxFile).where(OutboxFile.share_key == key)).first()
    if stored is None:
        stored = OutboxFile(share_key=key, filename=filename, content=content)
        session.add(stored)
        session.flush()
    return enqueue(
        session,
        user=user,
        template=template,
        text=caption,
        dedupe_key=dedupe_key,
        parse_mode=None,
        not_before=not_before,
        kind=kind,
        file_id=stored.id,
    )


def file_of(session: Session, outbox_id: int) -> OutboxFile | None:
    """The file an outbox row of kind "photo" or "document" sends."""
    return session.exec(
        select(OutboxFile)
        .join(OutboxMessage, col(OutboxMessage.file_id) == OutboxFile.id)
        .where(OutboxMessage.id == outbox_id)
    ).first()


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
        select(OutboxMessage).where(col(OutboxMessage.id).in_(ids)).order_by(col(OutboxMessage.seq))
    )
    return list(rows)


@functools.cache
def _claim_statement(by_chat: bool, skipping: bool) -> sa.Update:
    """The claiming UPDATE, built once: it runs every delivery round, and building it took
    longer than running it (48 ms against 7 ms a call under load)."""
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    row, earlier = table.alias("row"), table.alias("earlier")
    now = sa.bindparam("claim_now", type_=UTCDateTime())
    # An earlier row of the same chat still owed must go first: due now, in flight, or
    # waiting for its retry (a row queued after that retry was set must not overtake it).
    blocked = exists().where(
        earlier.c.chat_id == row.c.chat_id,
        earlier.c.status == OutboxStatus.PENDING.value,
        earlier.c.seq < row.c.seq,
    )
    due = (
        sa.select(row.c.id)
        .where(
            row.c.status == OutboxStatus.PENDING.value,
            row.c.next_attempt_at <= now,
            or_(row.c.lease_until.is_(None), row.c.lease_until <= now),
            ~blocked,
        )
        .order_by(row.c.seq)
        .limit(sa.bindparam("claim_limit", type_=sa.Integer()))
        .with_for_update(skip_locked=True)
    )
    if by_chat:
        due = due.where(row.c.chat_id == sa.bindparam("claim_chat", type_=sa.BigInteger()))
    if skipping:
        due = due.where(row.c.chat_id.not_in(sa.bindparam("claim_skip", expanding=True)))
    return (
        update(table)
        .where(table.c.id.in_(due.scalar_subquery()))
        .values(
            lease_owner=sa.bindparam("claim_owner", type_=sa.String()),
            lease_until=sa.bindparam("claim_until", type_=UTCDateTime()),
        )
        .returning(table.c.id)
    )


def record_sent(
    session: Session, *, row_id: int, message_id: int, now: datetime, note: str | None = None
) -> None:
    """Record one delivered row: one UPDATE, so the commit follows Telegram's answer closely.

    A crash between the two sends the message again, so this is kept short; a sent row with
    a ``live_key`` also records where its message lives, for later edits; ``note`` says why
    an edit was settled without changing anything.
    """
    params = {"sent_id": row_id, "sent_now": now, "sent_message": message_id, "sent_note": note}
    # On the connection: the ORM's bookkeeping for one UPDATE cost more than running it.
    found = session.connection().execute(_record_sent_statement(), params).first()
    if found is not None and found.live_key and found.kind == "send":
        remember(
            session, live_key=found.live_key, chat_id=found.chat_id, message_id=message_id, at=now
        )


@functools.cache
def _record_sent_statement() -> sa.Update:
    """The UPDATE that records a delivered row, built once: it runs for every message."""
    return (
        update(_OUTBOX)
        .where(_OUTBOX.c.id == sa.bindparam("sent_id", type_=sa.Integer()))
        .values(
            status=OutboxStatus.SENT.value,
            sent_at=sa.bindparam("sent_now", type_=UTCDateTime()),
            attempts=_OUTBOX.c.attempts + 1,
            telegram_message_id=sa.bindparam("sent_message", type_=sa.BigInteger()),
            last_error=sa.bindparam("sent_note", type_=sa.String()),
            lease_owner=None,
            lease_until=None,
        )
        .returning(_OUTBOX.c.chat_id, _OUTBOX.c.live_key, _OUTBOX.c.kind)
    )


def record_failed(session: Session, *, row_id: int, error: str) -> None:
    """Give up on a row (recorded, never silently)."""
    row = session.get(OutboxMessage, row_id)
    if row is None:
        return
    row.status = OutboxStatus.FAILED
    row.attempts += 1
    row.last_error = error[:500]
    row.lease_owner = row.lease_until = None
    session.add(row)


def next_of_chat(
    session: Session, chat_id: int, *, now: datetime, owner: str, lease: timedelta
) -> OutboxMessage | None:
    """Lease the chat's earliest pending row if it is due (one index lookup: this is hot).

    One UPDATE, so another process's claim of the same row cannot slip in between a read and
    the lease (SQLite takes its write lock only at the first write of a transaction).
    """
    params = {"next_chat": chat_id, "next_now": now, "next_owner": owner, "next_until": now + lease}
    return session.execute(_next_statement(), params).scalars().first()


@functools.cache
def _next_statement() -> sa.Update:
    """The UPDATE that leases a chat's next row, built once: it runs for every message."""
    now = sa.bindparam("next_now", type_=UTCDateTime())
    owner = sa.bindparam("next_owner", type_=sa.String())
    first = (
        select(OutboxMessage.id)
        .where(
            col(OutboxMessage.chat_id) == sa.bindparam("next_chat", type_=sa.BigInteger()),
            col(OutboxMessage.status) == OutboxStatus.PENDING,
        )
        .order_by(col(OutboxMessage.seq))
        .limit(1)
    )
    return (
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == first.scalar_subquery(),
            # Checked again on the row itself: PostgreSQL re-reads it if another took it first.
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            # A postponed row holds the chat's later rows back with it.
            col(OutboxMessage.next_attempt_at) <= now,
            or_(
                col(OutboxMessage.lease_until).is_(None),
                col(OutboxMessage.lease_until) <= now,
                col(OutboxMessage.lease_owner) == owner,
            ),
        )
        .values(lease_owner=owner, lease_until=sa.bindparam("next_until", type_=UTCDateTime()))
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )


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
            col(OutboxMessage.seq) > row.seq,
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


def unlease(session: Session, *, row_id: int, owner: str) -> None:
    """Give back the lease ``owner`` holds on a row it will not send now."""
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == row_id, col(OutboxMessage.lease_owner) == owner)
        .values(lease_owner=None, lease_until=None)
    )


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
def _upsert_live(dialect: str) -> sa.Insert:
    """The upsert of where a live message is shown, built once per dialect."""
    statement = insert_for(dialect, LiveMessage.__table__)  # type: ignore[attr-defined]
    return statement.on_conflict_do_update(
        index_elements=["live_key", "chat_id"],
        set_={
            "message_id": statement.excluded.message_id,
            "updated_at": statement.excluded.updated_at,
        },
    )


def live_message(session: Session, *, live_key: str, chat_id: int) -> int | None:
    """The message that shows ``live_key`` in ``chat_id``, if one was recorded."""
    return session.exec(
        select(LiveMessage.message_id).where(
            LiveMessage.live_key == live_key, LiveMessage.chat_id == chat_id
        )
    ).first()


# -- delivery order: commit order ---------------------------------------------------------------


@sa.event.listens_for(sa.orm.Session, "before_flush")
def _note_queued(session: sa.orm.Session, context: object, instances: object) -> None:
    """Remember rows added without ``enqueue`` too (a flush takes them out of ``session.new``)."""
    new = [obj for obj in session.new if isinstance(obj, OutboxMessage)]
    if new:
        session.info.setdefault(QUEUED, []).extend(new)


@sa.event.listens_for(sa.orm.Session, "before_commit")
def _order_queued(session: sa.orm.Session) -> None:
    """Give the transaction's rows their delivery positions as it commits, in commit order.

    Under the audit head's lock (held until the COMMIT, see services/audit.py), so two
    transactions queueing for one chat take their positions in the order they commit: the
    one that commits later is sent later, whatever order their ids came in.
    """
    if session.in_nested_transaction():
        return
    noted: list[tuple[object, int] | OutboxMessage] = session.info.pop(QUEUED, [])
    noted += [obj for obj in session.new if isinstance(obj, OutboxMessage)]
    this = session.get_transaction()
    # In the order they were queued. An id a rolled-back savepoint gave may come again, for a
    # later row: the later place counts. Ids of an earlier, rolled-back transaction do not.
    queued: dict[object, int | OutboxMessage] = {}
    for item in noted:
        if isinstance(item, OutboxMessage):
            if item in session and item.seq is None:
                queued.setdefault(id(item), item)
        elif item[0] is this:
            queued.pop(("id", item[1]), None)
            queued[("id", item[1])] = item[1]
    if not queued:
        return
    lock_head(session)
    # On the connection, not the session: no autoflush of the rows still without a position.
    top = session.connection().execute(sa.select(func.max(OutboxMessage.seq))).scalar()
    positions: list[dict[str, int]] = []
    for position, entry in enumerate(queued.values(), start=(top or 0) + 1):
        if isinstance(entry, int):
            positions.append({"row_id": entry, "position": position})
        else:
            entry.seq = position
    if positions:
        session.connection().execute(_SET_SEQ, positions)


# -- states shown by one message: only the latest needs the Bot API -----------------------------

SUPERSEDED = "superseded: a later state of this message was shown instead"


def later_states(session: Session, *, row: OutboxMessage) -> list[OutboxMessage]:
    """The chat's pending edits of the message ``row`` sends or edits, queued after it, in order.

    Only up to the next message sent under the same key: the edits after it are its own.
    """
    if not row.live_key or row.kind not in ("send", "edit") or row.seq is None:
        return []
    later = session.exec(
        select(OutboxMessage)
        .where(
            col(OutboxMessage.chat_id) == row.chat_id,
            col(OutboxMessage.live_key) == row.live_key,
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(OutboxMessage.seq) > row.seq,
        )
        .order_by(col(OutboxMessage.seq))
    )
    edits: list[OutboxMessage] = []
    for other in later:
        if other.kind != "edit":
            break
        edits.append(other)
    return edits


def record_shown(
    session: Session, *, row_ids: Sequence[int], message_id: int, now: datetime
) -> None:
    """Settle edits whose state the message already shows: the last one is what it shows."""
    for n, row_id in enumerate(row_ids, start=1):
        note = None if n == len(row_ids) else SUPERSEDED
        record_sent(session, row_id=row_id, message_id=message_id, now=now, note=note)
