"""Invitations: single-use, expiring join codes, stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from bot.i18n import N_
from models import Enterprise, Invitation, RoleGrant, User
from models.enums import Role
from services import audit
from services.errors import InvalidInput, InvalidState, NotFound
from services.org import department_by_code, park_by_code
from services.rules import Rules

# 24 random bytes = 192 bits, URL-safe: fits Telegram's 64-character /start payload.
CODE_BYTES = 24

SCOPE_NEEDED: dict[Role, str | None] = {
    Role.ENTERPRISE: "enterprise",
    Role.PARK_OFFICER: "park",
    Role.LIAISON: "department",
    Role.HEAD: "department",
    Role.DISPATCHER: None,
    Role.SUPERVISOR: None,
    Role.ADMIN: None,
}


SCOPE_MISSING = {
    "enterprise": N_("This role needs an enterprise (--enterprise ID)."),
    "park": N_("This role needs a park (--park CODE)."),
    "department": N_("This role needs a department (--department CODE)."),
}


SCOPE_EXTRA = {
    "enterprise": N_("This role takes no enterprise."),
    "park": N_("This role takes no park."),
    "department": N_("This role takes no department."),
}


def hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


@dataclass(frozen=True)
class NewInvitation:
    code: str
    invitation: Invitation

    def deep_link(self, bot_username: str) -> str:
        return f"https://t.me/{bot_username}?start={self.code}"


def create_invitation(
    session: Session,
    *,
    role: Role,
    created_by: int | None,
    department_code: str | None = None,
    park_code: str | None = None,
    enterprise_id: int | None = None,
    validity: timedelta | None = None,
    rules: Rules,
) -> NewInvitation:
    """Create an invitation for ``role`` in its scope; the plain code is returned only here.

    ``validity`` defaults to the configured ``limits.invitation_validity``.
    """
    now = rules.now()
    needed = SCOPE_NEEDED[role]
    given = {
        "department": department_code,
        "park": park_code,
        "enterprise": enterprise_id,
    }
    if needed and given[needed] is None:
        raise InvalidInput(SCOPE_MISSING[needed])
    extra = [name for name, value in given.items() if value is not None and name != needed]
    if extra:
        raise InvalidInput(SCOPE_EXTRA[extra[0]])
    invitation = Invitation(
        code_hash="",
        role=role,
        created_by_user_id=created_by,
        created_at=now,
        expires_at=now + (validity or rules.limits.invitation_validity),
    )
    if department_code is not None:
        dept = department_by_code(session, department_code)
        if dept is None or not dept.active:
            raise NotFound("There is no department with code {code}.", code=department_code)
        invitation.department_id = dept.id
    if park_code is not None:
        park = park_by_code(session, park_code)
        if park is None or not park.active:
            raise NotFound("There is no park with code {code}.", code=park_code)
        invitation.park_id = park.id
    if enterprise_id is not None:
        if session.get(Enterprise, enterprise_id) is None:
            raise NotFound("There is no enterprise with id {id}.", id=enterprise_id)
        invitation.enterprise_id = enterprise_id
    code = secrets.token_urlsafe(CODE_BYTES)
    invitation.code_hash = hash_code(code)
    session.add(invitation)
    session.flush()
    audit.record(
        session,
        actor_id=created_by,
        action="invitation.create",
        entity="invitations",
        entity_id=invitation.id,
        data={"role": role.value, "expires_at": invitation.expires_at.isoformat()},
        at=now,
    )
    return NewInvitation(code=code, invitation=invitation)


def find_valid(session: Session, code: str, *, rules: Rules) -> Invitation:
    """The unused, unexpired invitation for ``code``, or a clear refusal."""
    now = rules.now()
    invitation = session.exec(
        select(Invitation).where(Invitation.code_hash == hash_code(code))
    ).first()
    if invitation is None:
        raise NotFound("This invitation code is not valid. Ask the office that invited you.")
    if invitation.used_at is not None:
        raise InvalidState("This invitation code has already been used.")
    if invitation.revoked_at is not None:
        raise InvalidState("This invitation code has been withdrawn.")
    if invitation.expires_at <= now:
        raise InvalidState(
            "This invitation code expired. Ask the office that invited you for a new one."
        )
    return invitation


def grant_from(session: Session, *, invitation: Invitation, user: User, rules: Rules) -> RoleGrant:
    """Mark ``invitation`` used by ``user`` and grant its role (no confirmation logic here)."""
    now = rules.now()
    invitation.used_at = now
    invitation.used_by_user_id = user.id
    session.add(invitation)
    grant = RoleGrant(
        user_id=user.id,  # type: ignore[arg-type]  # stored rows have an id
        role=invitation.role,
        park_id=invitation.park_id,
        department_id=invitation.department_id,
        enterprise_id=invitation.enterprise_id,
        granted_at=now,
        granted_by_user_id=invitation.created_by_user_id,
    )
    session.add(grant)
    session.flush()
    audit.record(
        session,
        actor_id=user.id,
        action="role.grant",
        entity="role_grants",
        entity_id=grant.id,
        data={"role": invitation.role, "invitation_id": invitation.id},
        at=now,
    )
    return grant
