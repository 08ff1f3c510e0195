"""Audit trail: every state change is recorded with who, what and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from models import AuditEvent
from models.types import utcnow


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction."""
    event = AuditEvent(
        at=at or utcnow(),
        actor_user_id=actor_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        data=data,
    )
    session.add(event)
    return event
