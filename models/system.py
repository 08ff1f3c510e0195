"""Infrastructure tables: audit trail, outbox, conversation drafts, counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import code_field, json_field, text_field, utc_field
from models.enums import OutboxStatus


class AuditEvent(SQLModel, table=True):
    """Who did what to which record, and when; append-only, chained by hash (services/audit)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_entity", "entity", "entity_id"),
        sa.Index("ux_audit_events_seq", "seq", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    # The position in the chain: 1, 2, 3 … without gaps, so a deleted event leaves a hole.
    # The chain's three columns are empty only inside the recording transaction: its commit
    # seals the event (services/audit.seal); the database refuses any later change.
    seq: int | None = None
    at: datetime = utc_field(default_now=True, index=True)
    actor_user_id: int | None = Field(default=None, foreign_key="users.id")
    action: str = code_field(48)
    entity: str = code_field(32)
    entity_id: int | None = None
    data: dict[str, Any] | None = json_field(default=None, nullable=True)
    before: dict[str, Any] | None = json_field(default=None, nullable=True)
    after: dict[str, Any] | None = json_field(default=None, nullable=True)
    prev_hash: str | None = code_field(64, default=None, nullable=True)
    hash: str | None = code_field(64, default=None, nullable=True)


class AuditHead(SQLModel, table=True):
    """The chain's last link (one row): writers lock it to append in a well-defined order."""

    __tablename__ = "audit_head"
    __table_args__ = (sa.CheckConstraint("id = 1", name="ck_audit_head_one_row"),)

    id: int | None = Field(default=None, primary_key=True)
    seq: int = 0
    hash: str = code_field(64)


class OutboxMessage(SQLModel, table=True):
    """A message the system owes someone, written with the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("ix_outbox_status_next", "status", "next_attempt_at"),
        # The claim looks for each chat's earliest pending row, in delivery order.
        sa.Index("ix_outbox_chat_status_seq", "chat_id", "status", "seq"),
        sa.Index("ix_outbox_seq", "seq", unique=True),
        # The rows one Telegram message shows (a digest carries several; services/digests.py).
        sa.Index("ix_outbox_chat_message", "chat_id", "telegram_message_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Delivery order: given as the row's transaction commits, under the audit head's lock
    # (services/outbox.py), so a chat's rows go out in commit order. Ids come from a sequence
    # at insert time, and two transactions may commit in the other order of their ids.
    seq: int | None = Field(default=None, sa_type=sa.BigInteger)
    chat_id: int = Field(sa_type=sa.BigInteger)
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    template: str = code_field(64)
    text: str = text_field()
    # None is plain text. No default here: SQLAlchemy would write a column default over an
    # explicit None at insert; services/outbox.enqueue defaults to HTML instead.
    parse_mode: str | None = code_field(16, default=None, nullable=True)
    # [[{"text": ..., "data": ...}, ...], ...]: plain data so services stay Telegram-free.
    buttons: list[list[dict[str, str]]] | None = json_field(default=None, nullable=True)
    # [{"kind": "photo"|"document", "file_id": ...}]: sent after the text.
    attachments: list[dict[str, str]] | None = json_field(default=None, nullable=True)
    dedupe_key: str = code_field(160, unique=True)
    status: OutboxStatus = code_field(16, default=OutboxStatus.PENDING)
    attempts: int = 0
    next_attempt_at: datetime = utc_field(default_now=True)
    created_at: datetime = utc_field(default_now=True)
    sent_at: datetime | None = utc_field()
    last_error: str | None = text_field(default=None, nullable=True)
    telegram_message_id: int | None = None
    # "send"; "edit": replace the text and buttons of the live message under ``live_key``;
    # "photo" or "document": upload the row's file (outbox_files) with the text as caption.
    kind: str = code_field(8, default="send", sa_column_kwargs={"server_default": "send"})
    # The file a "photo" or "document" row sends; rows sending the same file share it.
    file_id: int | None = Field(default=None, foreign_key="outbox_files.id")
    # A message that shows a state (an assignment card, a case announcement) is sent under a
    # key, so that a later change of that state edits it wherever it was shown.
    live_key: str | None = code_field(64, default=None, nullable=True)
    # Pieces (text parts, then attachments) already delivered: a retry resumes after them
    # instead of sending the start of a long message twice.
    parts_sent: int = 0
    # The process sending this row right now (see bot/lock.py) and until when it may; a
    # lease whose owner is gone is taken over at once, an expired one by anybody.
    lease_owner: str | None = code_field(64, default=None, nullable=True)
    lease_until: datetime | None = utc_field()


class OutboxFile(SQLModel, table=True):
    """The bytes of a picture or document outbox rows of kind "photo" or "document" send.

    Made when the first row is written (a chart, a workbook), so delivery needs nothing but
    the rows; stored once under its ``share_key`` however many rows send it (a period report's
    chart in one language goes to every reader of that language).
    """

    __tablename__ = "outbox_files"

    id: int | None = Field(default=None, primary_key=True)
    share_key: str = code_field(160, unique=True)
    filename: str = code_field(128)
    content: bytes = Field(sa_type=sa.LargeBinary)


class Draft(SQLModel, table=True):
    """A half-finished conversation (a report being written, a dispatch being chosen).

    Kept in the database so a restart mid-conversation loses nothing.
    """

    __tablename__ = "drafts"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", unique=True)
    kind: str = code_field(32)
    step: str = code_field(32)
    data: dict[str, Any] = json_field(default_factory=dict)
    created_at: datetime = utc_field(default_now=True)
    updated_at: datetime = utc_field(default_now=True)
    expires_at: datetime = utc_field(nullable=False, index=True)


class ProcessedUpdate(SQLModel, table=True):
    """Telegram update ids already handled, so a redelivered update changes nothing."""

    __tablename__ = "processed_updates"

    update_id: int = Field(
        sa_type=sa.BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    processed_at: datetime = utc_field(default_now=True, index=True)


class InboxUpdate(SQLModel, table=True):
    """An update as Telegram sent it, stored before Telegram is told it was received."""

    __tablename__ = "inbox_updates"

    update_id: int = Field(
        sa_type=sa.BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    payload: dict[str, Any] = json_field(default_factory=dict)
    received_at: datetime = utc_field(default_now=True, index=True)


class ProcessLock(SQLModel, table=True):
    """A running process (``instance:<id>``) or a lock one holds (``polling``), with a heartbeat."""

    __tablename__ = "process_locks"

    name: str = Field(sa_type=sa.String(80), primary_key=True)
    owner: str = code_field(64)
    host: str = code_field(255)
    pid: int
    acquired_at: datetime = utc_field(default_now=True)
    heartbeat_at: datetime = utc_field(default_now=True)


class Counter(SQLModel, table=True):
    """Per-year sequences for human-readable numbers (2026-0001)."""

    __tablename__ = "counters"

    name: str = Field(sa_type=sa.String(32), primary_key=True)
    value: int = 0


class LiveMessage(SQLModel, table=True):
    """Where a message that shows a state was delivered, so it can be edited later."""

    __tablename__ = "live_messages"
    __table_args__ = (sa.UniqueConstraint("live_key", "chat_id"),)

    id: int | None = Field(default=None, primary_key=True)
    live_key: str = code_field(64, index=True)
    chat_id: int = Field(sa_type=sa.BigInteger)
    message_id: int = Field(sa_type=sa.BigInteger)
    updated_at: datetime = utc_field(default_now=True)
