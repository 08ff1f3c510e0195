"""SQLModel tables; importing this package registers every table on SQLModel.metadata."""

from models.accountability import Deduction, Inspection
from models.cases import (
    MAX_DESCRIPTION,
    Assignment,
    Attachment,
    Case,
    DeadlineChange,
    DeadlineMark,
    Note,
    SupervisionOrder,
)
from models.enums import *  # noqa: F403
from models.org import (
    MAJOR_PROJECT_YUAN,
    Department,
    Enterprise,
    Invitation,
    Park,
    Project,
    RoleGrant,
    User,
)
from models.system import (
    AuditEvent,
    AuditHead,
    Counter,
    Draft,
    InboxUpdate,
    LiveMessage,
    OutboxFile,
    OutboxMessage,
    ProcessedUpdate,
    ProcessLock,
)

__all__ = [
    "MAJOR_PROJECT_YUAN",
    "MAX_DESCRIPTION",
    "Assignment",
    "Attachment",
    "AuditEvent",
    "AuditHead",
    "Case",
    "Counter",
    "DeadlineChange",
    "DeadlineMark",
    "Deduction",
    "Department",
    "Draft",
    "Enterprise",
    "InboxUpdate",
    "Inspection",
    "Invitation",
    "LiveMessage",
    "Note",
    "OutboxFile",
    "OutboxMessage",
    "Park",
    "ProcessLock",
    "ProcessedUpdate",
    "Project",
    "RoleGrant",
    "SupervisionOrder",
    "User",
]
