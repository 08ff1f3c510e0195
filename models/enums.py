"""Enumerations of the domain; stored as short strings."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ENTERPRISE = "enterprise"  # enterprise contact person
    PARK_OFFICER = "park_officer"  # park efficiency office, scoped to one park
    DISPATCHER = "dispatcher"  # county optimization office, all parks
    LIAISON = "liaison"  # one per department
    HEAD = "head"  # department head (一把手)
    SUPERVISOR = "supervisor"  # discipline commission efficiency office
    ADMIN = "admin"


# The role sets, each written once; services check and menus show against these names.
# The office: receives cases, dispatches them, registers enterprises, invites (a park officer
# within their own park).
OFFICE_ROLES: frozenset[Role] = frozenset({Role.PARK_OFFICER, Role.DISPATCHER, Role.ADMIN})
# The part of the office not bound to one park: acts on every park's cases and enterprises.
COUNTY_ROLES: frozenset[Role] = frozenset({Role.DISPATCHER, Role.ADMIN})
# A department's people: its liaison (acts on assignments) and its head (follows them).
DEPARTMENT_ROLES: frozenset[Role] = frozenset({Role.LIAISON, Role.HEAD})
# Sees every case without acting on it.
OVERSIGHT_ROLES: frozenset[Role] = frozenset({Role.SUPERVISOR})
# May look a case up at all (each within their own scope: access.can_view decides which).
CASE_VIEWER_ROLES: frozenset[Role] = frozenset(
    {Role.ENTERPRISE, *OFFICE_ROLES, *DEPARTMENT_ROLES, *OVERSIGHT_ROLES}
)


class Category(StrEnum):
    PERMIT = "permit"  # 权证办理 / 办事办证
    UTILITY = "utility"  # 用水用电
    LAND = "land"  # 征地拆迁
    DISPUTE = "dispute"  # 矛盾协调
    OTHER = "other"  # 其它


class CaseStatus(StrEnum):
    NEW = "new"  # received, waiting for dispatch
    INFO_REQUESTED = "info_requested"  # the park office asked the enterprise something
    DISPATCHED = "dispatched"  # assignments issued and open
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # all assignments completed
    CLOSED = "closed"
    DECLINED = "declined"


class AssignmentStatus(StrEnum):
    ISSUED = "issued"  # 交办, not yet signed for
    ACKNOWLEDGED = "acknowledged"  # 签收
    COMPLETED = "completed"  # 办结
    RETURNED = "returned"  # 退回: wrong department
    CANCELLED = "cancelled"


class EscalationStage(StrEnum):
    NONE = "none"
    SLOW = "slow"  # missed the deadline: 慢作为
    SUPERVISED = "supervised"  # supervision order issued: 督办
    INACTION = "inaction"  # missed the supervision order: 不作为


class Satisfaction(StrEnum):
    SATISFIED = "satisfied"
    MOSTLY = "mostly"
    UNSATISFIED = "unsatisfied"


class SupervisionStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    MISSED = "missed"


class ExtensionKind(StrEnum):
    EXTENSION = "extension"  # a later deadline
    PAUSE = "pause"  # the clock stops, e.g. waiting for the enterprise


class RequestStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"


class DeductionKind(StrEnum):
    SLOW_ACTION = "slow_action"  # 慢作为: points off
    INACTION_VETO = "inaction_veto"  # 不作为: one-vote veto for the year
    UNFILED_INSPECTION = "unfiled_inspection"  # 涉企检查未备案
    INCOMPETENT = "incompetent"  # liaison or head rated incompetent for the year
    MANUAL = "manual"  # deducted by a supervisor, with a reason (/deduct)


class InspectionStatus(StrEnum):
    FILED = "filed"  # a liaison filed it before going
    REPORTED = "reported"  # an enterprise reported one no filing covers: supervisors decide
    MATCHED = "matched"  # an enterprise reported one a filing covers
    UNFILED = "unfiled"  # a supervisor confirmed the report: an unfiled inspection
    DISMISSED = "dismissed"  # a supervisor dismissed the report, with a reason


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class NoteKind(StrEnum):
    PROGRESS = "progress"
    QUESTION = "question"  # liaison or park office asks the enterprise
    ANSWER = "answer"  # the enterprise answers
    RESULT = "result"
    RETURN = "return"
    REOPEN = "reopen"  # the enterprise was not satisfied; the text is its reason
    SYSTEM = "system"


class AttachmentKind(StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"
