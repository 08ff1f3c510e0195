"""People: who is writing, and what their roles allow."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from bot.i18n import normalize_language
from models import RoleGrant, User
from models.enums import DEPARTMENT_ROLES, Role
from services import audit


@dataclass(frozen=True)
class Actor:
    """The acting user with their active roles, loaded once per update."""

    user: User
    grants: tuple[RoleGrant, ...] = field(default_factory=tuple)

    @property
    def id(self) -> int:
        assert self.user.id is not None
        return self.user.id

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(g.role) for g in self.grants)

    def has(self, *roles: Role) -> bool:
        return any(Role(g.role) in roles for g in self.grants)

    def department_ids(self, *roles: Role) -> set[int]:
        wanted = roles or tuple(DEPARTMENT_ROLES)
        return {g.department_id for g in self.grants if g.role in wanted and g.department_id}

    def park_ids(self) -> set[int]:
        return {g.park_id for g in self.grants if g.role == Role.PARK_OFFICER and g.park_id}

    def enterprise_ids(self) -> set[int]:
        return {
            g.enterprise_id for g in self.grants if g.role == Role.ENTERPRISE and g.enterprise_id
        }


def ensure_user(
    session: Session,
    *,
    telegram_id: int,
    display_name: str,
    username: str | None = None,
    language_code: str | None = None,
) -> User:
    """Find or create the user for a Telegram account, refreshing name and language hint."""
    user = session.exec(_BY_TELEGRAM_ID, params={"telegram_id": telegram_id}).first()
    if user is None:
        user = User(
            telegram_id=telegram_id,
            display_name=display_name[:128],
            username=username,
            telegram_language=language_code,
        )
        session.add(user)
        session.flush()
        audit.record(
            session, actor_id=user.id, action="user.create", entity="users", entity_id=user.id
        )
    elif (user.display_name, user.username, user.telegram_language) != (
        display_name[:128],
        username,
        language_code,
    ):
        user.display_name, user.username = display_name[:128], username
        user.telegram_language = language_code
        session.add(user)
    if user.blocked_at is not None:  # they wrote to the bot, so they unblocked it
        user.blocked_at = None
        session.add(user)
        audit.record(
            session, actor_id=user.id, action="user.unblocked", entity="users", entity_id=user.id
        )
    return user


def load_actor(session: Session, user: User) -> Actor:
    grants = session.exec(_GRANTS, params={"user_id": user.id}).all()
    return Actor(user=user, grants=tuple(grants))


# Built once: every update resolves its user with these two.
_BY_TELEGRAM_ID = select(User).where(User.telegram_id == sa.bindparam("telegram_id"))
_GRANTS = select(RoleGrant).where(
    RoleGrant.user_id == sa.bindparam("user_id"), col(RoleGrant.revoked_at).is_(None)
)


def language_of(user: User, default: str) -> str:
    """The user's chosen language, else Telegram's hint, else the default."""
    if user.language:
        return user.language
    return normalize_language(user.telegram_language, default)


def set_language(session: Session, *, user: User, language: str) -> User:
    user.language = language
    session.add(user)
    audit.record(
        session,
        actor_id=user.id,
        action="user.language",
        entity="users",
        entity_id=user.id,
        data={"language": language},
    )
    return user


def holders(
    session: Session,
    role: Role,
    *,
    department_id: int | None = None,
    park_id: int | None = None,
    enterprise_id: int | None = None,
) -> list[User]:
    """Active users holding ``role`` in the given scope."""
    scope = {"department_id": department_id, "park_id": park_id, "enterprise_id": enterprise_id}
    given = {name: value for name, value in scope.items() if value is not None}
    statement = _holders_statement(tuple(given))
    return list(session.exec(statement, params={"holders_role": role, **given}).all())


@functools.cache
def _holders_statement(scope: tuple[str, ...]) -> SelectOfScalar[User]:
    """The holders query for a kind of scope, built once (it runs several times an update)."""
    query = (
        select(User)
        .join(RoleGrant, col(RoleGrant.user_id) == User.id)
        .where(
            col(RoleGrant.role) == sa.bindparam("holders_role"),
            col(RoleGrant.revoked_at).is_(None),
            User.active,
        )
    )
    for name in scope:
        query = query.where(getattr(RoleGrant, name) == sa.bindparam(name))
    return query.distinct()
