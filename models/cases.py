"""Cases (an enterprise's request) and what the county does about them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import code_field, json_field, text_field, utc_field
from models.enums import (
    AssignmentStatus,
    AttachmentKind,
    CaseStatus,
    Category,
    EscalationStage,
    ExtensionKind,
    NoteKind,
    RequestStatus,
    Satisfaction,
    SupervisionStatus,
)

# One Telegram message carries 4096 characters; the guided form takes a longer description in
# several messages, up to this total (the column is TEXT on SQLite and PostgreSQL alike).
MAX_DESCRIPTION = 10_000


class Case(SQLModel, table=True):
    """One request from an enterprise (诉求)."""

    __tablename__ = "cases"
    __table_args__ = (sa.Index("ix_cases_status_confirm_due", "status", "confirm_due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    number: str = code_field(32, unique=True)
    enterprise_id: int = Field(foreign_key="enterprises.id", index=True)
    project_id: int | None = Field(default=None, foreign_key="projects.id")
    park_id: int = Field(foreign_key="parks.id", index=True)
    reporter_user_id: int = Field(foreign_key="users.id")
    category: Category = code_field(16)
    description: str = text_field()
    status: CaseStatus = code_field(24, default=CaseStatus.NEW, index=True)
    # Telegram may deliver an update twice; the key makes the second submission a no-op.
    idempotency_key: str | None = code_field(96, default=None, nullable=True, unique=True)
    created_at: datetime = utc_field(default_now=True)
    dispatched_at: datetime | None = utc_field()
    completed_at: datetime | None = utc_field()
    confirm_due_at: datetime | None = utc_field()
    closed_at: datetime | None = utc_field()
    satisfaction: Satisfaction | None = code_field(16, default=None, nullable=True)
    satisfaction_note: str | None = text_field(default=None, nullable=True)
    confirmed_by_default: bool = False
    decline_reason: str | None = text_field(default=None, nullable=True)


class Attachment(SQLModel, table=True):
    """A photo or document, kept by its Telegram file_id (the bytes stay on Telegram)."""

    __tablename__ = "attachments"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    assignment_id: int | None = Field(default=None, foreign_key="assignments.id", index=True)
    kind: AttachmentKind = code_field(16)
    file_id: str = code_field(256)
    file_unique_id: str = code_field(128)
    file_name: str | None = code_field(256, default=None, nullable=True)
    mime_type: str | None = code_field(128, default=None, nullable=True)
    caption: str | None = text_field(default=None, nullable=True)
    uploaded_by_user_id: int = Field(foreign_key="users.id")
    created_at: datetime = utc_field(default_now=True)


class Assignment(SQLModel, table=True):
    """An assignment order (交办单): one department's part of a case."""

    __tablename__ = "assignments"
    __table_args__ = (
        # The sweeps look up open assignments by due time; these keep that cost
        # proportional to what is due rather than to history.
        sa.Index("ix_assignments_status_due", "status", "due_at"),
        sa.Index("ix_assignments_status_ack_due", "status", "ack_due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = code_field(40, unique=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    department_id: int = Field(foreign_key="departments.id", index=True)
    status: AssignmentStatus = code_field(16, default=AssignmentStatus.ISSUED)
    stage: EscalationStage = code_field(16, default=EscalationStage.NONE)
    issued_at: datetime = utc_field(default_now=True)
    issued_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    ack_due_at: datetime = utc_field(nullable=False)
    due_at: datetime = utc_field(nullable=False)
    acknowledged_at: datetime | None = utc_field()
    acknowledged_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    completed_at: datetime | None = utc_field()
    completed_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    result: str | None = text_field(default=None, nullable=True)
    returned_at: datetime | None = utc_field()
    return_reason: str | None = text_field(default=None, nullable=True)
    # Set when the office has dealt with a return (re-dispatched or dismissed it).
    return_handled_at: datetime | None = utc_field()
    reopened_count: int = 0
    # When the sweep must next look at this assignment (a reminder, a deadline); None when
    # nothing is pending. The sweep selects by this indexed column, so its cost follows what
    # is due, not how many assignments exist.
    next_check_at: datetime | None = utc_field(index=True)
    # Bumped whenever due_at moves, so reminder dedupe keys are per deadline, not per row.
    deadline_version: int = 1


class Note(SQLModel, table=True):
    """One entry in an assignment's thread: progress, question, answer, result."""

    __tablename__ = "notes"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    assignment_id: int | None = Field(default=None, foreign_key="assignments.id", index=True)
    author_user_id: int | None = Field(default=None, foreign_key="users.id")
    kind: NoteKind = code_field(16)
    text: str = text_field()
    reply_to_note_id: int | None = Field(default=None, foreign_key="notes.id")
    idempotency_key: str | None = code_field(96, default=None, nullable=True, unique=True)
    created_at: datetime = utc_field(default_now=True)


class SupervisionOrder(SQLModel, table=True):
    """A supervision order (督办单) issued after a missed deadline."""

    __tablename__ = "supervision_orders"
    __table_args__ = (sa.Index("ix_supervision_status_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    number: str = code_field(40, unique=True)
    assignment_id: int = Field(foreign_key="assignments.id", unique=True)
    issued_at: datetime = utc_field(default_now=True)
    issued_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    due_at: datetime = utc_field(nullable=False)
    status: SupervisionStatus = code_field(16, default=SupervisionStatus.OPEN)
    completed_at: datetime | None = utc_field()
    missed_at: datetime | None = utc_field()
    text: str | None = text_field(default=None, nullable=True)


class DeadlineChange(SQLModel, table=True):
    """An extension (延期) or a pause (暂停计时) of an assignment's clock."""

    __tablename__ = "deadline_changes"

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignments.id", index=True)
    kind: ExtensionKind = code_field(16)
    status: RequestStatus = code_field(16, default=RequestStatus.REQUESTED)
    reason: str = text_field()
    requested_by_user_id: int = Field(foreign_key="users.id")
    decided_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    requested_at: datetime = utc_field(default_now=True)
    decided_at: datetime | None = utc_field()
    old_due_at: datetime | None = utc_field()
    new_due_at: datetime | None = utc_field()
    paused_from: datetime | None = utc_field()
    paused_until: datetime | None = utc_field()
    details: dict | None = json_field(default=None, nullable=True)


class DeadlineMark(SQLModel, table=True):
    """A point on an assignment's clock that has been dealt with: a reminder sent (or folded
    into a later message), a deadline missed, an escalation step taken. Unique, so each
    happens once whatever the number of sweeps, restarts or instances."""

    __tablename__ = "deadline_marks"
    __table_args__ = (sa.UniqueConstraint("assignment_id", "clock", "version", "point"),)

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignments.id", index=True)
    clock: str = code_field(16)  # "ack", "done" or "supervision"
    version: int  # the deadline version the point belongs to (an extension starts anew)
    point: str = code_field(32)  # a reminder offset ("3wd", "2h") or "missed"
    outcome: str = code_field(16)  # "sent", "folded", "superseded", "done"
    at: datetime = utc_field(default_now=True)
