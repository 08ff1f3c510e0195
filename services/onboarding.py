"""Joining with an invitation code, the one-liaison-per-department rule, and chat invitations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypedDict

from sqlmodel import Session, col, select

from models import Department, Enterprise, Invitation, Park, RoleGrant, User
from models.enums import COUNTY_ROLES, Role
from services import audit, outbox
from services.errors import InvalidInput, NotAllowed, NotFound
from services.invites import (
    SCOPE_NEEDED,
    create_invitation,
    find_valid,
    grant_from,
    hash_code,
)
from services.messages import invitations as invitation_messages
from services.rules import Rules
from services.users import Actor, holders, language_of

# Who may invite whom from the chat; the CLI (`duban invite`) may invite anyone.
INVITABLE_BY: dict[Role, frozenset[Role]] = {
    Role.ADMIN: frozenset(Role),
    Role.DISPATCHER: frozenset({Role.LIAISON, Role.HEAD, Role.PARK_OFFICER, Role.ENTERPRISE}),
    Role.PARK_OFFICER: frozenset({Role.ENTERPRISE}),
}


class ScopeNames(TypedDict):
    """The scope's name in both languages, as Joined takes them."""

    scope_zh: str | None
    scope_en: str | None


class InvitationScope(TypedDict, total=False):
    """The scope keywords of create_invitation that a role needs."""

    department_code: str
    park_code: str
    enterprise_id: int | None


@dataclass(frozen=True)
class MenuOwner:
    """Someone whose roles changed as a side effect, so their command menu must be redone."""

    telegram_id: int
    language: str
    roles: frozenset[Role]


@dataclass(frozen=True)
class Joined:
    """The user holds the invitation's role now (or held it already: then nothing changed)."""

    role: Role
    scope_zh: str | None
    scope_en: str | None
    roles: frozenset[Role]  # every active role of the user, for the command menu
    already: bool = False
    replaced: tuple[MenuOwner, ...] = ()  # liaisons who lost the role to this user


@dataclass(frozen=True)
class TakeoverNeeded:
    """A liaison code for a department that has a liaison: the new person must confirm."""

    department_zh: str
    department_en: str
    current: tuple[str, ...]  # display names of the active liaison(s)
    expires_at: datetime


@dataclass(frozen=True)
class IssuedInvitation:
    """A new invitation as the inviter sees it; the plain code exists only here."""

    code: str
    role: Role
    scope_zh: str | None
    scope_en: str | None
    expires_at: datetime

    def deep_link(self, bot_username: str) -> str:
        return f"https://t.me/{bot_username}?start={self.code}"


def join(
    session: Session,
    *,
    user: User,
    code: str,
    rules: Rules,
) -> Joined | TakeoverNeeded:
    """Redeem ``code``; a used, expired or unknown code raises and grants nothing.

    A liaison code for a department that already has a liaison is not redeemed: the caller
    asks the user to confirm, then calls confirm_takeover with the same code.
    """
    return _redeem(
        session,
        user=user,
        code=code,
        rules=rules,
        confirmed=False,
    )


def confirm_takeover(
    session: Session,
    *,
    user: User,
    code: str,
    rules: Rules,
) -> Joined:
    """Redeem a liaison ``code``, replacing the department's current liaison."""
    result = _redeem(
        session,
        user=user,
        code=code,
        rules=rules,
        confirmed=True,
    )
    assert isinstance(result, Joined)  # confirmed=True never asks again
    return result


def check_code(session: Session, *, code: str, rules: Rules) -> datetime:
    """The expiry of a still-usable code (a declined takeover leaves it usable)."""
    return find_valid(session, code, rules=rules).expires_at


def _redeem(
    session: Session,
    *,
    user: User,
    code: str,
    rules: Rules,
    confirmed: bool,
) -> Joined | TakeoverNeeded:
    now = rules.now()
    # Lock the invitation first, so two people redeeming one code at once cannot both win.
    session.exec(
        select(Invitation).where(Invitation.code_hash == hash_code(code)).with_for_update()
    ).first()
    invitation = find_valid(session, code, rules=rules)
    role = Role(invitation.role)
    if _holds_same(session, user_id=user.id, invitation=invitation):
        # Grants nothing twice, and leaves the code unused: redeeming it changed nothing.
        return Joined(
            role=role,
            roles=_roles_of(session, user.id),
            already=True,
            **_scope_names(session, invitation),
        )
    replaced: list[RoleGrant] = []
    if role == Role.LIAISON and invitation.department_id is not None:
        department = session.exec(
            select(Department).where(Department.id == invitation.department_id).with_for_update()
        ).one()
        replaced = _active_liaisons(session, department_id=department.id, except_user=user.id)
        if replaced and not confirmed:
            return TakeoverNeeded(
                department_zh=department.name_zh,
                department_en=department.name_en,
                current=tuple(_display_name(session, g.user_id) for g in replaced),
                expires_at=invitation.expires_at,
            )
    for old in replaced:
        old.revoked_at = now
        session.add(old)
        audit.record(
            session,
            actor_id=user.id,
            action="role.revoke",
            entity="role_grants",
            entity_id=old.id,
            data={"role": old.role, "reason": "liaison_takeover", "invitation_id": invitation.id},
            at=now,
        )
    grant = grant_from(session, invitation=invitation, user=user, rules=rules)
    owners: list[MenuOwner] = []
    if replaced:
        owners = _announce_takeover(
            session,
            new_user=user,
            new_grant=grant,
            replaced=replaced,
            default_language=rules.default_language,
        )
    return Joined(
        role=role,
        roles=_roles_of(session, user.id),
        replaced=tuple(owners),
        **_scope_names(session, invitation),
    )


def _holds_same(session: Session, *, user_id: int | None, invitation: Invitation) -> bool:
    found = session.exec(
        select(RoleGrant.id).where(
            RoleGrant.user_id == user_id,
            RoleGrant.role == invitation.role,
            RoleGrant.park_id == invitation.park_id,
            RoleGrant.department_id == invitation.department_id,
            RoleGrant.enterprise_id == invitation.enterprise_id,
            col(RoleGrant.revoked_at).is_(None),
        )
    ).first()
    return found is not None


def _active_liaisons(
    session: Session, *, department_id: int | None, except_user: int | None
) -> list[RoleGrant]:
    return list(
        session.exec(
            select(RoleGrant)
            .where(
                RoleGrant.role == Role.LIAISON,
                RoleGrant.department_id == department_id,
                RoleGrant.user_id != except_user,
                col(RoleGrant.revoked_at).is_(None),
            )
            .order_by(col(RoleGrant.id))
        ).all()
    )


def _roles_of(session: Session, user_id: int | None) -> frozenset[Role]:
    rows = session.exec(
        select(RoleGrant.role).where(
            RoleGrant.user_id == user_id, col(RoleGrant.revoked_at).is_(None)
        )
    ).all()
    return frozenset(Role(r) for r in rows)


def _display_name(session: Session, user_id: int) -> str:
    user = session.get(User, user_id)
    return (user.display_name or f"#{user_id}") if user else f"#{user_id}"


def _announce_takeover(
    session: Session,
    *,
    new_user: User,
    new_grant: RoleGrant,
    replaced: list[RoleGrant],
    default_language: str,
) -> list[MenuOwner]:
    """Tell the replaced liaison(s) and the department head(s); they are not the actor."""
    department = session.get(Department, new_grant.department_id)
    assert department is not None
    new_name = new_user.display_name or f"#{new_user.id}"
    owners: list[MenuOwner] = []
    old_names: list[str] = []
    for old in replaced:
        old_user = session.get(User, old.user_id)
        if old_user is None:
            continue
        old_names.append(old_user.display_name or f"#{old_user.id}")
        lang = language_of(old_user, default_language)
        outbox.enqueue(
            session,
            user=old_user,
            template="liaison.replaced",
            text=invitation_messages.liaison_replaced(lang, new=new_name, department=department)[0],
            dedupe_key=f"liaison:{old.id}:replaced",
        )
        owners.append(
            MenuOwner(
                telegram_id=old_user.telegram_id,
                language=lang,
                roles=_roles_of(session, old_user.id),
            )
        )
    skip = {new_user.id, *(g.user_id for g in replaced)}
    for head in holders(session, Role.HEAD, department_id=department.id):
        if head.id in skip:
            continue
        lang = language_of(head, default_language)
        outbox.enqueue(
            session,
            user=head,
            template="liaison.head_notice",
            text=invitation_messages.liaison_head_notice(
                lang, new=new_name, department=department, old=old_names
            )[0],
            dedupe_key=f"liaison:{new_grant.id}:head:{head.id}",
        )
    return owners


def _scope_names(session: Session, scoped: Invitation | RoleGrant) -> ScopeNames:
    if scoped.department_id:
        dept = session.get(Department, scoped.department_id)
        if dept:
            return {"scope_zh": dept.name_zh, "scope_en": dept.name_en}
    if scoped.park_id:
        park = session.get(Park, scoped.park_id)
        if park:
            return {"scope_zh": park.name_zh, "scope_en": park.name_en}
    if scoped.enterprise_id:
        ent = session.get(Enterprise, scoped.enterprise_id)
        if ent:
            return {"scope_zh": ent.name, "scope_en": ent.name}
    return {"scope_zh": None, "scope_en": None}


def invitable_roles(actor: Actor) -> frozenset[Role]:
    """The roles ``actor`` may invite from the chat."""
    allowed: frozenset[Role] = frozenset()
    for role in actor.roles:
        allowed |= INVITABLE_BY.get(role, frozenset())
    return allowed


def invite(
    session: Session,
    *,
    actor: Actor,
    role: Role,
    scope: str | None = None,
    enterprise_id: int | None = None,
    validity: timedelta | None = None,
    rules: Rules,
) -> IssuedInvitation:
    """Create an invitation for ``role`` on behalf of ``actor``, within what their roles allow.

    ``scope`` names the unit as typed: a department code, a park code or name, or an
    enterprise's credit code or exact name; ``enterprise_id`` comes from a button.
    """
    if not actor.has(*INVITABLE_BY):
        raise NotAllowed(
            "Only park officers, dispatchers and administrators can create invitations."
        )
    if role not in invitable_roles(actor):
        raise NotAllowed("Your roles do not allow inviting a {role}.", role=role.value)
    scope = (scope or "").strip() or None
    needed = SCOPE_NEEDED[role]
    kwargs: InvitationScope = {}
    if needed is None:
        if scope is not None or enterprise_id is not None:
            raise InvalidInput(
                "Role {role} belongs to no unit; send /invite {role}.", role=role.value
            )
    elif needed == "department":
        if scope is None:
            raise InvalidInput(
                "Which department? Send /invite {role} <department code>.", role=role.value
            )
        kwargs["department_code"] = _department(session, scope).code
    elif needed == "park":
        if scope is None:
            raise InvalidInput("Which park? Send /invite {role} <park code>.", role=role.value)
        kwargs["park_code"] = find_park(session, scope).code
    else:
        enterprise = _enterprise(session, scope, enterprise_id)
        if not actor.has(*COUNTY_ROLES) and enterprise.park_id not in (actor.park_ids()):
            raise NotAllowed("You may only invite contacts of enterprises in your own park.")
        kwargs["enterprise_id"] = enterprise.id
    created = create_invitation(
        session, role=role, created_by=actor.id, validity=validity, rules=rules, **kwargs
    )
    return IssuedInvitation(
        code=created.code,
        role=role,
        expires_at=created.invitation.expires_at,
        **_scope_names(session, created.invitation),
    )


def find_park(session: Session, text: str) -> Park:
    """An active park by its code (any case) or its Chinese or English name."""
    wanted = text.strip()
    for park in session.exec(select(Park).where(col(Park.active))).all():
        if wanted.lower() == park.code.lower() or wanted in (park.name_zh, park.name_en):
            return park
    raise NotFound("There is no park with code {code}.", code=wanted)


def _department(session: Session, text: str) -> Department:
    wanted = text.strip()
    for dept in session.exec(select(Department).where(col(Department.active))).all():
        if wanted.lower() == dept.code.lower() or wanted in (dept.name_zh, dept.name_en):
            return dept
    raise NotFound("There is no department with code {code}.", code=wanted)


def _enterprise(session: Session, text: str | None, enterprise_id: int | None) -> Enterprise:
    if enterprise_id is not None:
        found = session.get(Enterprise, enterprise_id)
        if found is None:
            raise NotFound("There is no enterprise with id {id}.", id=enterprise_id)
        return found
    if text is None:
        raise InvalidInput("Which enterprise? Send /invite enterprise <credit code>.")
    by_code = session.exec(
        select(Enterprise).where(Enterprise.credit_code == text.upper().replace(" ", ""))
    ).first()
    if by_code is not None:
        return by_code
    by_name = session.exec(select(Enterprise).where(Enterprise.name == text)).all()
    if len(by_name) == 1:
        return by_name[0]
    raise NotFound("There is no enterprise with the credit code or name {text}.", text=text)
