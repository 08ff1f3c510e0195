"""Joining with an invitation code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from models import Department, Enterprise, Park, RoleGrant, User
from models.enums import Role
from models.types import utcnow
from services.invites import find_valid, grant_from


@dataclass(frozen=True)
class Joined:
    role: Role
    scope_zh: str | None
    scope_en: str | None


def join(session: Session, *, user: User, code: str, now: datetime | None = None) -> Joined:
    """Redeem ``code`` for ``user``; a used, expired or unknown code raises and grants nothing."""
    now = now or utcnow()
    invitation = find_valid(session, code, now=now)
    grant = grant_from(session, invitation=invitation, user=user, now=now)
    return Joined(role=Role(grant.role), **_scope_names(session, grant))


def _scope_names(session: Session, grant: RoleGrant) -> dict[str, str | None]:
    if grant.department_id:
        dept = session.get(Department, grant.department_id)
        return {"scope_zh": dept.name_zh, "scope_en": dept.name_en} if dept else {}
    if grant.park_id:
        park = session.get(Park, grant.park_id)
        return {"scope_zh": park.name_zh, "scope_en": park.name_en} if park else {}
    if grant.enterprise_id:
        ent = session.get(Enterprise, grant.enterprise_id)
        return {"scope_zh": ent.name, "scope_en": ent.name} if ent else {}
    return {"scope_zh": None, "scope_en": None}
