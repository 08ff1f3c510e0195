"""Invitations: random, hashed, single-use, expiring codes, each for a role in its scope."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.db import Database
from models import AuditEvent, Department, Enterprise, Invitation, Park, RoleGrant, User
from models.enums import Role
from services import invites
from services.errors import InvalidInput, InvalidState, NotFound
from services.onboarding import Joined, join
from tests.factories import make_user
from tests.rules import RULES

pytestmark = pytest.mark.dialects(
    "sqlite",
    why="making, hashing and expiring codes is Python over plain ORM rows, one writer at a time",
)

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
URLSAFE = re.compile(r"^[A-Za-z0-9_-]+$")


def make_enterprise(db: Database) -> int:
    def add(session: Session) -> int:
        park = session.exec(select(Park).where(Park.code == "JH")).one()
        enterprise = Enterprise(name="坤昊实业", credit_code="91431129MA4L0KH01R", park_id=park.id)
        session.add(enterprise)
        session.flush()
        assert enterprise.id is not None
        return enterprise.id

    return db.call(add)


def invite(db: Database, role: Role, *, now: datetime = NOW, **scope: object) -> str:
    """Create an invitation and return its plain code."""
    return db.call(
        invites.create_invitation, role=role, created_by=None, rules=RULES.at(now), **scope
    ).code


def redeem(db: Database, user: User, code: str, *, now: datetime = NOW) -> Joined:
    joined = db.call(join, user=user, code=code, rules=RULES.at(now))
    assert isinstance(joined, Joined)
    return joined


def grants_of(session: Session, user: User) -> list[RoleGrant]:
    session.rollback()
    return list(session.exec(select(RoleGrant).where(RoleGrant.user_id == user.id)))


# -- the code itself ------------------------------------------------------------------------------


def test_codes_carry_at_least_128_random_bits(db: Database) -> None:
    codes = [invite(db, Role.DISPATCHER) for _ in range(20)]
    for code in codes:
        # token_urlsafe(24): 24 random bytes = 192 bits in 32 URL-safe characters.
        assert len(code) == 32
        assert URLSAFE.match(code)
        assert len(code) <= 64  # fits Telegram's /start payload
    assert len(set(codes)) == len(codes)


def test_only_the_hash_is_stored(db: Database, session: Session) -> None:
    code = invite(db, Role.LIAISON, department_code="drc")
    invitation = session.exec(select(Invitation)).one()
    assert invitation.code_hash == invites.hash_code(code)
    assert code not in invitation.code_hash
    columns = Invitation.__table__.columns  # type: ignore[attr-defined]
    assert all(code not in str(getattr(invitation, c.name)) for c in columns)


def test_the_deep_link_carries_the_code(db: Database) -> None:
    created = db.call(
        invites.create_invitation, role=Role.SUPERVISOR, created_by=None, rules=RULES.at(NOW)
    )
    assert created.deep_link("duban_bot") == f"https://t.me/duban_bot?start={created.code}"


# -- redeeming ----------------------------------------------------------------------------------


def test_a_liaison_joins_their_department(db: Database, session: Session) -> None:
    code = invite(db, Role.LIAISON, department_code="drc")
    user = make_user(db, 1001, "王联络员")
    joined = redeem(db, user, code)
    assert isinstance(joined, Joined)
    assert (joined.role, joined.scope_zh, joined.scope_en) == (
        Role.LIAISON,
        "县发改委",
        "Development & Reform Commission",
    )
    (grant,) = grants_of(session, user)
    drc = session.exec(select(Department).where(Department.code == "drc")).one()
    assert (grant.role, grant.department_id, grant.granted_at) == (Role.LIAISON, drc.id, NOW)
    invitation = session.exec(select(Invitation)).one()
    assert (invitation.used_at, invitation.used_by_user_id) == (NOW, user.id)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "role.grant")).one()
    assert (event.actor_user_id, event.entity_id) == (user.id, grant.id)


def test_codes_with_surrounding_spaces_still_work(db: Database) -> None:
    code = invite(db, Role.DISPATCHER)
    joined = redeem(db, make_user(db, 1002), f"  {code}\n")
    assert joined.role == Role.DISPATCHER


def test_a_code_works_only_once(db: Database, session: Session) -> None:
    code = invite(db, Role.HEAD, department_code="epb")
    first, second = make_user(db, 2001), make_user(db, 2002)
    redeem(db, first, code)
    later = NOW + timedelta(minutes=5)
    for user in (second, first):
        with pytest.raises(InvalidState, match="already been used"):
            redeem(db, user, code, now=later)
    assert len(grants_of(session, first)) == 1
    assert grants_of(session, second) == []
    invitation = session.exec(select(Invitation)).one()
    assert invitation.used_by_user_id == first.id  # the refusal did not overwrite who used it


def test_an_expired_code_is_refused(db: Database, session: Session) -> None:
    code = db.call(
        invites.create_invitation,
        role=Role.SUPERVISOR,
        created_by=None,
        validity=timedelta(days=2),
        rules=RULES.at(NOW),
    ).code
    user = make_user(db, 3001)
    with pytest.raises(InvalidState, match="expired"):
        redeem(db, user, code, now=NOW + timedelta(days=2))
    assert grants_of(session, user) == []
    # A second before the end it still worked (checked on a fresh code).
    fresh = db.call(
        invites.create_invitation,
        role=Role.SUPERVISOR,
        created_by=None,
        validity=timedelta(days=2),
        rules=RULES.at(NOW),
    ).code
    assert redeem(db, user, fresh, now=NOW + timedelta(days=2, seconds=-1)).role == Role.SUPERVISOR


def test_an_unknown_code_is_refused(db: Database, session: Session) -> None:
    invite(db, Role.DISPATCHER)
    user = make_user(db, 4001)
    with pytest.raises(NotFound, match="not valid"):
        redeem(db, user, "x" * 32)
    assert grants_of(session, user) == []


def test_a_withdrawn_code_is_refused(db: Database, session: Session) -> None:
    code = invite(db, Role.DISPATCHER)

    def withdraw(s: Session) -> None:
        invitation = s.exec(select(Invitation)).one()
        invitation.revoked_at = NOW
        s.add(invitation)

    db.call(withdraw)
    user = make_user(db, 4002)
    with pytest.raises(InvalidState, match="withdrawn"):
        redeem(db, user, code)
    assert grants_of(session, user) == []


def test_the_refusal_messages_differ(db: Database) -> None:
    # A user must be able to tell "ask for a new one" from "someone used it".
    used = invite(db, Role.DISPATCHER)
    redeem(db, make_user(db, 5001), used)
    expired = db.call(
        invites.create_invitation,
        role=Role.DISPATCHER,
        created_by=None,
        validity=timedelta(hours=1),
        rules=RULES.at(NOW - timedelta(hours=2)),
    ).code
    user = make_user(db, 5002)
    messages = set()
    for code in (used, expired, "unknown-code"):
        with pytest.raises((InvalidState, NotFound)) as caught:
            redeem(db, user, code)
        messages.add(caught.value.msgid)
    assert len(messages) == 3


# -- scope rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "scope", "message", "error"),
    [
        (Role.LIAISON, {}, "This role needs a department (--department CODE).", InvalidInput),
        (Role.HEAD, {}, "This role needs a department (--department CODE).", InvalidInput),
        (Role.PARK_OFFICER, {}, "This role needs a park (--park CODE).", InvalidInput),
        (Role.ENTERPRISE, {}, "This role needs an enterprise (--enterprise ID).", InvalidInput),
        (
            Role.LIAISON,
            {"park_code": "JH"},
            "This role needs a department (--department CODE).",
            InvalidInput,
        ),
        (
            Role.LIAISON,
            {"department_code": "drc", "park_code": "JH"},
            "This role takes no park.",
            InvalidInput,
        ),
        (
            Role.DISPATCHER,
            {"department_code": "drc"},
            "This role takes no department.",
            InvalidInput,
        ),
        (Role.SUPERVISOR, {"park_code": "JH"}, "This role takes no park.", InvalidInput),
        (Role.ADMIN, {"enterprise_id": 1}, "This role takes no enterprise.", InvalidInput),
        (
            Role.LIAISON,
            {"department_code": "nope"},
            "There is no department with code nope.",
            NotFound,
        ),
        (Role.PARK_OFFICER, {"park_code": "XX"}, "There is no park with code XX.", NotFound),
        (Role.ENTERPRISE, {"enterprise_id": 999}, "There is no enterprise with id 999.", NotFound),
    ],
)
def test_scope_rules(
    db: Database,
    session: Session,
    role: Role,
    scope: dict[str, object],
    message: str,
    error: type[Exception],
) -> None:
    """A scope the role does not take, or one that does not exist: refused, nothing stored."""
    with pytest.raises(error) as caught:
        invite(db, role, **scope)
    assert str(caught.value) == message
    assert session.exec(select(Invitation)).all() == []


def test_a_deactivated_department_takes_no_invitations(db: Database) -> None:
    def deactivate(session: Session) -> None:
        dept = session.exec(select(Department).where(Department.code == "police")).one()
        dept.active = False
        session.add(dept)

    db.call(deactivate)
    with pytest.raises(NotFound, match="no department with code police"):
        invite(db, Role.LIAISON, department_code="police")


@pytest.mark.parametrize(
    ("role", "scope_key", "expected_zh"),
    [
        (Role.PARK_OFFICER, "park_code", "河路口工业园区"),
        (Role.ENTERPRISE, "enterprise_id", "坤昊实业"),
        (Role.DISPATCHER, None, None),
    ],
)
def test_each_scope_is_granted_and_named(
    db: Database,
    session: Session,
    role: Role,
    scope_key: str | None,
    expected_zh: str | None,
) -> None:
    scope: dict[str, object] = {}
    if scope_key == "park_code":
        scope = {"park_code": "HLK"}
    elif scope_key == "enterprise_id":
        scope = {"enterprise_id": make_enterprise(db)}
    user = make_user(db, 6001)
    joined = redeem(db, user, invite(db, role, **scope))
    assert (joined.role, joined.scope_zh) == (role, expected_zh)
    (grant,) = grants_of(session, user)
    assert grant.role == role
    if scope_key == "park_code":
        park = session.exec(select(Park).where(Park.code == "HLK")).one()
        assert (grant.park_id, grant.department_id, grant.enterprise_id) == (park.id, None, None)
    elif scope_key == "enterprise_id":
        assert grant.enterprise_id == scope["enterprise_id"]
        assert (grant.park_id, grant.department_id) == (None, None)
    else:
        assert (grant.park_id, grant.department_id, grant.enterprise_id) == (None, None, None)
