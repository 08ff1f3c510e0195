"""Joining with a code, the one-liaison rule with its confirmed takeover, and chat invitations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bot.db import Database
from models import (
    Assignment,
    AuditEvent,
    Case,
    Department,
    Enterprise,
    Invitation,
    OutboxMessage,
    Park,
    RoleGrant,
    User,
)
from models.enums import AssignmentStatus, Category, Role
from services import access, assignments, invites, onboarding
from services.errors import InvalidInput, InvalidState, NotAllowed, NotFound
from services.onboarding import Joined, TakeoverNeeded
from services.users import Actor, load_actor
from tests.factories import actor_of, make_user
from tests.rules import RULES

pytestmark = pytest.mark.dialects(
    "sqlite",
    why=(
        "redeeming codes and the liaison takeover are plain ORM reads and writes by one writer at"
        " a time"
    ),
)

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


def code_for(db: Database, role: Role, *, now: datetime = NOW, **scope: Any) -> str:
    return db.call(
        invites.create_invitation, role=role, created_by=None, rules=RULES.at(now), **scope
    ).code


def grant(db: Database, user: User, role: Role, **scope: Any) -> User:
    """Give ``user`` a role directly (as `duban invite` + /start would)."""
    code = code_for(db, role, **scope)
    result = db.call(onboarding.join, user=user, code=code, rules=RULES.at(NOW))
    assert isinstance(result, Joined) and not result.already
    return user


def active(session: Session, **where: Any) -> list[RoleGrant]:
    session.rollback()
    query = select(RoleGrant).where(col(RoleGrant.revoked_at).is_(None))
    for name, value in where.items():
        query = query.where(getattr(RoleGrant, name) == value)
    return list(session.exec(query.order_by(col(RoleGrant.id))).all())


def dept_id(session: Session, code: str) -> int:
    found = session.exec(select(Department.id).where(Department.code == code)).one()
    assert found is not None
    return found


def outbox_for(session: Session, user: User) -> list[OutboxMessage]:
    session.rollback()
    return list(session.exec(select(OutboxMessage).where(OutboxMessage.user_id == user.id)).all())


def invitation(session: Session, code: str) -> Invitation:
    session.rollback()
    return session.exec(
        select(Invitation).where(Invitation.code_hash == invites.hash_code(code))
    ).one()


# -- codes that grant nothing ---------------------------------------------------------------


def test_unknown_used_expired_and_withdrawn_codes_grant_nothing(
    db: Database, session: Session
) -> None:
    user = make_user(db, 101, "Someone")
    with pytest.raises(NotFound, match="not valid"):
        db.call(onboarding.join, user=user, code="no-such-code-at-all", rules=RULES.at(NOW))

    used = code_for(db, Role.DISPATCHER)
    grant_code_user = make_user(db, 102, "First")
    db.call(onboarding.join, user=grant_code_user, code=used, rules=RULES.at(NOW))
    with pytest.raises(InvalidState, match="already been used"):
        db.call(onboarding.join, user=user, code=used, rules=RULES.at(LATER))

    expired = code_for(db, Role.DISPATCHER, validity=timedelta(hours=1))
    with pytest.raises(InvalidState, match="expired"):
        db.call(onboarding.join, user=user, code=expired, rules=RULES.at(NOW + timedelta(hours=2)))

    withdrawn = code_for(db, Role.SUPERVISOR)
    with db.session() as s:
        row = s.exec(
            select(Invitation).where(Invitation.code_hash == invites.hash_code(withdrawn))
        ).one()
        row.revoked_at = NOW
        s.add(row)
    with pytest.raises(InvalidState, match="withdrawn"):
        db.call(onboarding.join, user=user, code=withdrawn, rules=RULES.at(LATER))

    assert active(session, user_id=user.id) == []


def test_a_second_code_for_a_role_already_held_grants_nothing_and_stays_unused(
    db: Database, session: Session
) -> None:
    user = grant(db, make_user(db, 201, "Head Qian"), Role.HEAD, department_code="drc")
    again = code_for(db, Role.HEAD, department_code="drc")
    result = db.call(onboarding.join, user=user, code=again, rules=RULES.at(LATER))
    assert isinstance(result, Joined)
    assert result.already and result.role == Role.HEAD and result.scope_zh == "县发改委"
    assert len(active(session, user_id=user.id)) == 1
    assert invitation(session, again).used_at is None
    grants = session.exec(select(AuditEvent).where(AuditEvent.action == "role.grant")).all()
    assert len(grants) == 1


def test_one_person_may_hold_several_roles(db: Database, session: Session) -> None:
    user = make_user(db, 301, "Many Hats")
    grant(db, user, Role.HEAD, department_code="drc")
    grant(db, user, Role.HEAD, department_code="epb")  # same role, another unit: a new grant
    grant(db, user, Role.PARK_OFFICER, park_code="JH")
    result = db.call(
        onboarding.join, user=user, code=code_for(db, Role.SUPERVISOR), rules=RULES.at(NOW)
    )
    assert isinstance(result, Joined)
    assert result.roles == {Role.HEAD, Role.PARK_OFFICER, Role.SUPERVISOR}
    assert len(active(session, user_id=user.id)) == 4


# -- one liaison per department ---------------------------------------------------------------


def test_the_first_liaison_joins_without_confirmation(db: Database, session: Session) -> None:
    user = make_user(db, 401, "孙联络员")
    result = db.call(
        onboarding.join,
        user=user,
        code=code_for(db, Role.LIAISON, department_code="drc"),
        rules=RULES.at(NOW),
    )
    assert isinstance(result, Joined) and result.role == Role.LIAISON
    assert [g.user_id for g in active(session, role=Role.LIAISON)] == [user.id]


@pytest.fixture
def drc_team(db: Database) -> dict[str, User]:
    """The development & reform commission: a liaison (zh), a head (en), another head (zh)."""
    old = grant(db, make_user(db, 501, "孙联络员", "zh"), Role.LIAISON, department_code="drc")
    head = grant(db, make_user(db, 502, "Director Qian", "en"), Role.HEAD, department_code="drc")
    deputy = grant(db, make_user(db, 503, "钱副局长", "zh"), Role.HEAD, department_code="drc")
    other = grant(db, make_user(db, 504, "周联络员"), Role.LIAISON, department_code="epb")
    return {"old": old, "head": head, "deputy": deputy, "other": other}


def test_a_new_liaison_must_confirm_and_nothing_changes_before(
    db: Database, session: Session, drc_team: dict[str, User]
) -> None:
    new = make_user(db, 601, "New Liaison", "en")
    code = code_for(db, Role.LIAISON, department_code="drc")
    result = db.call(onboarding.join, user=new, code=code, rules=RULES.at(LATER))
    assert isinstance(result, TakeoverNeeded)
    assert result.current == ("孙联络员",)
    assert (result.department_zh, result.department_en) == (
        "县发改委",
        "Development & Reform Commission",
    )
    assert result.expires_at == NOW + RULES.limits.invitation_validity
    # Not consumed, nothing granted, nobody told.
    assert invitation(session, code).used_at is None
    assert [
        g.user_id for g in active(session, role=Role.LIAISON, department_id=dept_id(session, "drc"))
    ] == [drc_team["old"].id]
    assert active(session, user_id=new.id) == []
    assert session.exec(select(OutboxMessage)).all() == []
    # Declining is only looking at the code again: it stays usable until it expires.
    assert db.call(onboarding.check_code, code=code, rules=RULES.at(LATER)) == result.expires_at


def test_confirming_replaces_the_liaison_and_tells_them_and_the_heads(
    db: Database, session: Session, drc_team: dict[str, User]
) -> None:
    new = make_user(db, 602, "New Liaison", "en")
    code = code_for(db, Role.LIAISON, department_code="drc")
    assert isinstance(
        db.call(onboarding.join, user=new, code=code, rules=RULES.at(LATER)), TakeoverNeeded
    )
    joined = db.call(onboarding.confirm_takeover, user=new, code=code, rules=RULES.at(LATER))
    assert joined.role == Role.LIAISON and not joined.already
    assert joined.roles == {Role.LIAISON}
    old = drc_team["old"]
    assert joined.replaced == (
        onboarding.MenuOwner(telegram_id=old.telegram_id, language="zh", roles=frozenset()),
    )
    drc = dept_id(session, "drc")
    liaisons = active(session, role=Role.LIAISON, department_id=drc)
    assert [g.user_id for g in liaisons] == [new.id]
    revoked = session.exec(select(RoleGrant).where(RoleGrant.user_id == old.id)).one()
    assert revoked.revoked_at == LATER
    # The other department's liaison is untouched.
    assert len(active(session, user_id=drc_team["other"].id)) == 1
    assert invitation(session, code).used_by_user_id == new.id

    (to_old,) = outbox_for(session, old)
    assert "New Liaison" in to_old.text and "县发改委" in to_old.text
    assert "联络员" in to_old.text  # in the old liaison's language
    (to_head,) = outbox_for(session, drc_team["head"])
    assert to_head.text == (
        "New Liaison is now the liaison of Development &amp; Reform Commission, replacing 孙联络员."
    )
    (to_deputy,) = outbox_for(session, drc_team["deputy"])
    assert "孙联络员" in to_deputy.text and "New Liaison" in to_deputy.text
    assert outbox_for(session, drc_team["other"]) == []
    assert outbox_for(session, new) == []  # the actor is answered in the chat, not queued
    actions = [e.action for e in session.exec(select(AuditEvent).order_by(col(AuditEvent.id)))]
    assert actions[-2:] == ["role.revoke", "role.grant"]


def test_open_assignments_stay_with_the_department(
    db: Database, session: Session, drc_team: dict[str, User]
) -> None:
    old, new = drc_team["old"], make_user(db, 603, "New Liaison")

    def arrange(s: Session) -> int:
        park = s.exec(select(Park).where(Park.code == "JH")).one()
        ent = Enterprise(name="坤昊实业", credit_code="91431129MA4L0KH01R", park_id=park.id)
        s.add(ent)
        s.flush()
        case = Case(
            number="2026-0001",
            enterprise_id=ent.id,
            park_id=park.id,
            reporter_user_id=old.id,
            category=Category.PERMIT,
            description="二期增容",
        )
        s.add(case)
        s.flush()
        item = Assignment(
            number="2026-0001-1",
            case_id=case.id,
            department_id=dept_id(s, "drc"),
            ack_due_at=NOW + timedelta(days=1),
            due_at=NOW + timedelta(days=5),
        )
        s.add(item)
        s.flush()
        assert item.id is not None
        return item.id

    assignment_id = db.call(arrange)
    db.call(
        assignments.acknowledge,
        actor=actor_of(db, old),
        assignment_id=assignment_id,
        rules=RULES.at(NOW),
    )
    code = code_for(db, Role.LIAISON, department_code="drc")
    db.call(onboarding.confirm_takeover, user=new, code=code, rules=RULES.at(LATER))

    # The new liaison finds and acts on it; the old one no longer can.
    new_actor, old_actor = actor_of(db, new), actor_of(db, old)
    assert [
        a.id for a in db.call(assignments.tasks, actor=new_actor, limit=RULES.limits.tasks_list)
    ] == [assignment_id]
    db.call(assignments.check_action, actor=new_actor, assignment_id=assignment_id, action="done")
    with pytest.raises(NotAllowed):
        db.call(assignments.tasks, actor=old_actor, limit=RULES.limits.tasks_list)
    with pytest.raises((NotAllowed, NotFound)):
        db.call(
            assignments.check_action, actor=old_actor, assignment_id=assignment_id, action="done"
        )
    session.rollback()
    row = session.get(Assignment, assignment_id)
    assert row is not None
    assert (row.department_id, row.status) == (
        dept_id(session, "drc"),
        AssignmentStatus.ACKNOWLEDGED,
    )
    # Only history points at the old liaison (who signed for it), never routing.
    with db.session() as s:
        liaison_actor = load_actor(s, s.get(User, new.id))  # type: ignore[arg-type]
        access.liaison_assignment(s, liaison_actor, s.get(Assignment, assignment_id))  # type: ignore[arg-type]


def test_a_declined_takeover_leaves_the_code_usable_until_it_expires(
    db: Database, session: Session, drc_team: dict[str, User]
) -> None:
    new = make_user(db, 604, "Hesitant")
    code = code_for(db, Role.LIAISON, department_code="drc", validity=timedelta(days=1))
    assert isinstance(
        db.call(onboarding.join, user=new, code=code, rules=RULES.at(LATER)), TakeoverNeeded
    )
    # Days later (still valid) the same person confirms after all.
    result = db.call(
        onboarding.join, user=new, code=code, rules=RULES.at(NOW + timedelta(hours=20))
    )
    assert isinstance(result, TakeoverNeeded)
    db.call(
        onboarding.confirm_takeover, user=new, code=code, rules=RULES.at(NOW + timedelta(hours=21))
    )
    assert [
        g.user_id for g in active(session, role=Role.LIAISON, department_id=dept_id(session, "drc"))
    ] == [new.id]

    late = code_for(db, Role.LIAISON, department_code="drc", validity=timedelta(hours=1))
    with pytest.raises(InvalidState, match="expired"):
        db.call(
            onboarding.confirm_takeover,
            user=new,
            code=late,
            rules=RULES.at(NOW + timedelta(hours=2)),
        )
    with pytest.raises(InvalidState, match="expired"):
        db.call(onboarding.check_code, code=late, rules=RULES.at(NOW + timedelta(hours=2)))


def test_forged_confirmations_change_nothing(
    db: Database, session: Session, drc_team: dict[str, User]
) -> None:
    intruder = make_user(db, 605, "Intruder")
    for garbage in ("", "x" * 40, "j:y:1", "../../etc"):
        with pytest.raises(NotFound):
            db.call(onboarding.confirm_takeover, user=intruder, code=garbage, rules=RULES.at(LATER))
    used = code_for(db, Role.LIAISON, department_code="epb")
    db.call(
        onboarding.confirm_takeover,
        user=make_user(db, 606, "Legit"),
        code=used,
        rules=RULES.at(NOW),
    )
    with pytest.raises(InvalidState, match="already been used"):
        db.call(onboarding.confirm_takeover, user=intruder, code=used, rules=RULES.at(LATER))
    assert active(session, user_id=intruder.id) == []
    drc = dept_id(session, "drc")
    assert [g.user_id for g in active(session, role=Role.LIAISON, department_id=drc)] == [
        drc_team["old"].id
    ]
    assert outbox_for(session, drc_team["old"]) == []


def test_the_current_liaison_redeeming_another_code_for_the_same_department(
    db: Database, session: Session, drc_team: dict[str, User]
) -> None:
    code = code_for(db, Role.LIAISON, department_code="drc")
    result = db.call(onboarding.join, user=drc_team["old"], code=code, rules=RULES.at(LATER))
    assert isinstance(result, Joined) and result.already
    assert invitation(session, code).used_at is None


def test_a_liaison_of_one_department_taking_over_another(
    db: Database, session: Session, drc_team: dict[str, User]
) -> None:
    mover = drc_team["other"]  # liaison of epb
    code = code_for(db, Role.LIAISON, department_code="drc")
    assert isinstance(
        db.call(onboarding.join, user=mover, code=code, rules=RULES.at(LATER)), TakeoverNeeded
    )
    joined = db.call(onboarding.confirm_takeover, user=mover, code=code, rules=RULES.at(LATER))
    assert joined.roles == {Role.LIAISON}
    departments = {g.department_id for g in active(session, user_id=mover.id)}
    assert departments == {dept_id(session, "drc"), dept_id(session, "epb")}


def test_confirming_when_the_old_liaison_already_left_simply_joins(
    db: Database, session: Session, drc_team: dict[str, User]
) -> None:
    code = code_for(db, Role.LIAISON, department_code="drc")
    new = make_user(db, 607, "Newcomer")
    assert isinstance(
        db.call(onboarding.join, user=new, code=code, rules=RULES.at(LATER)), TakeoverNeeded
    )
    with db.session() as s:
        for row in s.exec(select(RoleGrant).where(RoleGrant.user_id == drc_team["old"].id)):
            row.revoked_at = LATER
            s.add(row)
    joined = db.call(onboarding.confirm_takeover, user=new, code=code, rules=RULES.at(LATER))
    assert joined.replaced == ()
    assert outbox_for(session, drc_team["head"]) == []


# -- /invite from the chat ------------------------------------------------------------------


@pytest.fixture
def people(db: Database) -> dict[str, Actor]:
    def person(telegram_id: int, role: Role | None, **scope: Any) -> Actor:
        user = make_user(db, telegram_id, f"user {telegram_id}")
        if role is not None:
            grant(db, user, role, **scope)
        return actor_of(db, user)

    return {
        "admin": person(901, Role.ADMIN),
        "dispatcher": person(902, Role.DISPATCHER),
        "officer": person(903, Role.PARK_OFFICER, park_code="JH"),
        "liaison": person(904, Role.LIAISON, department_code="gov"),
        "nobody": person(905, None),
    }


def enterprise_in(db: Database, park_code: str, name: str, credit_code: str) -> int:
    def add(session: Session) -> int:
        park = session.exec(select(Park).where(Park.code == park_code)).one()
        ent = Enterprise(name=name, credit_code=credit_code, park_id=park.id)
        session.add(ent)
        session.flush()
        assert ent.id is not None
        return ent.id

    return db.call(add)


@pytest.mark.parametrize(
    ("who", "role", "scope"),
    [
        ("admin", Role.ADMIN, None),
        ("admin", Role.DISPATCHER, None),
        ("admin", Role.SUPERVISOR, None),
        ("admin", Role.LIAISON, "drc"),
        ("dispatcher", Role.LIAISON, "drc"),
        ("dispatcher", Role.HEAD, "县环保局"),
        ("dispatcher", Role.PARK_OFFICER, "hlk"),
        ("dispatcher", Role.PARK_OFFICER, "码市工业园区"),
        ("dispatcher", Role.ENTERPRISE, "91431129MA4L1HL52C"),
        ("officer", Role.ENTERPRISE, "海螺水泥"),
    ],
)
def test_who_may_invite_whom(
    db: Database,
    session: Session,
    people: dict[str, Actor],
    who: str,
    role: Role,
    scope: str | None,
) -> None:
    enterprise_in(db, "JH", "海螺水泥", "91431129MA4L1HL52C")
    issued = db.call(
        onboarding.invite, actor=people[who], role=role, scope=scope, rules=RULES.at(NOW)
    )
    assert issued.role == role and issued.expires_at == NOW + RULES.limits.invitation_validity
    assert issued.deep_link("duban_bot") == f"https://t.me/duban_bot?start={issued.code}"
    if scope is not None:
        assert issued.scope_zh
    row = invitation(session, issued.code)
    assert row.created_by_user_id == people[who].id
    event = session.exec(
        select(AuditEvent).where(AuditEvent.entity == "invitations", AuditEvent.entity_id == row.id)
    ).one()
    assert (event.action, event.actor_user_id) == ("invitation.create", people[who].id)
    newcomer = make_user(db, 999, "Newcomer")
    joined = db.call(onboarding.join, user=newcomer, code=issued.code, rules=RULES.at(LATER))
    assert isinstance(joined, Joined) and joined.role == role


@pytest.mark.parametrize(
    ("who", "role", "scope"),
    [
        ("dispatcher", Role.DISPATCHER, None),
        ("dispatcher", Role.SUPERVISOR, None),
        ("dispatcher", Role.ADMIN, None),
        ("officer", Role.LIAISON, "drc"),
        ("officer", Role.PARK_OFFICER, "JH"),
        ("officer", Role.DISPATCHER, None),
        ("officer", Role.ENTERPRISE, "91431129MA4L2MS01B"),  # an enterprise of another park
        ("liaison", Role.ENTERPRISE, "91431129MA4L1HL52C"),
        ("nobody", Role.ENTERPRISE, "91431129MA4L1HL52C"),
    ],
)
def test_invitations_beyond_ones_roles_are_refused(
    db: Database,
    session: Session,
    people: dict[str, Actor],
    who: str,
    role: Role,
    scope: str | None,
) -> None:
    enterprise_in(db, "JH", "海螺水泥", "91431129MA4L1HL52C")
    enterprise_in(db, "MS", "码市企业", "91431129MA4L2MS01B")
    with pytest.raises(NotAllowed):
        db.call(onboarding.invite, actor=people[who], role=role, scope=scope, rules=RULES.at(NOW))
    session.rollback()
    assert (
        session.exec(select(Invitation).where(Invitation.created_by_user_id.is_not(None))).all()
        == []
    )  # type: ignore[union-attr]


def test_invitation_scope_mistakes_are_explained(db: Database, people: dict[str, Actor]) -> None:
    dispatcher = people["dispatcher"]
    with pytest.raises(InvalidInput, match="Which department"):
        db.call(onboarding.invite, actor=dispatcher, role=Role.LIAISON, rules=RULES)
    with pytest.raises(InvalidInput, match="Which park"):
        db.call(onboarding.invite, actor=dispatcher, role=Role.PARK_OFFICER, rules=RULES)
    with pytest.raises(InvalidInput, match="Which enterprise"):
        db.call(onboarding.invite, actor=dispatcher, role=Role.ENTERPRISE, rules=RULES)
    with pytest.raises(NotFound, match="no department"):
        db.call(onboarding.invite, actor=dispatcher, role=Role.HEAD, scope="nope", rules=RULES)
    with pytest.raises(NotFound, match="no park"):
        db.call(
            onboarding.invite,
            actor=dispatcher,
            role=Role.PARK_OFFICER,
            scope="Atlantis",
            rules=RULES,
        )
    with pytest.raises(NotFound, match="no enterprise"):
        db.call(
            onboarding.invite,
            actor=dispatcher,
            role=Role.ENTERPRISE,
            scope="Nobody Ltd",
            rules=RULES,
        )
    with pytest.raises(NotFound, match="no enterprise"):
        db.call(
            onboarding.invite,
            actor=dispatcher,
            role=Role.ENTERPRISE,
            enterprise_id=987654,
            rules=RULES,
        )
    with pytest.raises(InvalidInput, match="belongs to no unit"):
        db.call(
            onboarding.invite, actor=people["admin"], role=Role.SUPERVISOR, scope="drc", rules=RULES
        )


def test_an_enterprise_button_invites_by_id_within_the_officers_park(
    db: Database, people: dict[str, Actor]
) -> None:
    own = enterprise_in(db, "JH", "海螺水泥", "91431129MA4L1HL52C")
    other = enterprise_in(db, "MS", "码市企业", "91431129MA4L2MS01B")
    issued = db.call(
        onboarding.invite,
        actor=people["officer"],
        role=Role.ENTERPRISE,
        enterprise_id=own,
        rules=RULES,
    )
    assert issued.scope_zh == "海螺水泥"
    with pytest.raises(NotAllowed, match="own park"):
        db.call(
            onboarding.invite,
            actor=people["officer"],
            role=Role.ENTERPRISE,
            enterprise_id=other,
            rules=RULES,
        )
