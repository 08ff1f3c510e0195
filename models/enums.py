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


class InspectionStatus(StrEnum):
    FILED = "filed"
    UNFILED = "unfiled"  # reported after the fact: an unfiled inspection


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
