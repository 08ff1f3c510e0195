"""Registering enterprises and projects: amounts, one-go and guided registration, CSV import."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.db import Database
from bot.settings import Settings
from models import AuditEvent, Draft, Enterprise, Park, Project, User
from models.enums import Role
from services import invites, onboarding
from services.errors import DomainError, InvalidInput, InvalidState, NotAllowed, NotFound
from services.registry import form, importer, records, values
from services.users import Actor, load_actor
from tests.factories import credit_code
from tests.rules import RULES

pytestmark = pytest.mark.dialects(
    "sqlite",
    why=(
        "registering enterprises and projects and importing CSV are plain ORM reads and writes by"
        " one writer; the NUL test that PostgreSQL alone refuses runs on both"
    ),
)

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
TTL = timedelta(minutes=30)
KUNHAO = "91431129MA4L0KH01R"
CONCH = "91431129MA4L1HL52C"


# -- amounts and flags ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "yuan"),
    [
        ("8000万", 80_000_000),
        ("1.2亿", 120_000_000),
        ("120000000", 120_000_000),
        ("1,200,000,000", 1_200_000_000),
        ("１．２亿", 120_000_000),  # full-width, as Chinese input methods type it
        ("8000万元", 80_000_000),
        ("¥120,000,000", 120_000_000),
        ("12亿元", 1_200_000_000),
        (" 0 ", 0),
        ("1.23456789亿", 123_456_789),
        ("3,500万", 35_000_000),
    ],
)
def test_investment_amounts_as_people_write_them(text: str, yuan: int) -> None:
    assert values.parse_investment(text) == yuan


@pytest.mark.parametrize(
    "text", ["", "abc", "-5", "1e9", "8000千", "1.5", "1.2.3亿", "亿", "99999999999亿"]
)
def test_unreadable_amounts_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        values.parse_investment(text)


@pytest.mark.parametrize(
    ("text", "flag"),
    [("是", True), ("否", False), ("yes", True), ("No", False), ("1", True), ("0", False)],
)
def test_key_project_flags(text: str, flag: bool) -> None:
    assert values.parse_flag(text) is flag


def test_an_unclear_flag_is_refused() -> None:
    with pytest.raises(InvalidInput):
        values.parse_flag("maybe")


# -- people ---------------------------------------------------------------------------------


def person(db: Database, telegram_id: int, role: Role | None = None, **scope: Any) -> Actor:
    def add(session: Session) -> User:
        user = User(telegram_id=telegram_id, display_name=f"user {telegram_id}")
        session.add(user)
        session.flush()
        return user

    user = db.call(add)
    if role is not None:
        code = db.call(
            invites.create_invitation, role=role, created_by=None, **scope, rules=RULES
        ).code
        db.call(onboarding.join, user=user, code=code, rules=RULES)
    return db.call(load_actor, user)


@pytest.fixture
def people(db: Database) -> dict[str, Actor]:
    return {
        "dispatcher": person(db, 1, Role.DISPATCHER),
        "admin": person(db, 2, Role.ADMIN),
        "officer": person(db, 3, Role.PARK_OFFICER, park_code="JH"),
        "officer2": person(db, 4, Role.PARK_OFFICER, park_code="JH"),
        "ms_officer": person(db, 5, Role.PARK_OFFICER, park_code="MS"),
        "liaison": person(db, 6, Role.LIAISON, department_code="drc"),
        "nobody": person(db, 7),
    }


def park_id(session: Session, code: str) -> int:
    found = session.exec(select(Park.id).where(Park.code == code)).one()
    assert found is not None
    return found


def enterprises_in(session: Session) -> list[Enterprise]:
    session.rollback()
    return list(session.exec(select(Enterprise).order_by(col(Enterprise.id))).all())


def projects_in(session: Session) -> list[Project]:
    session.rollback()
    return list(session.exec(select(Project).order_by(col(Project.id))).all())


def draft_of(session: Session, actor: Actor) -> Draft | None:
    session.rollback()
    return session.exec(select(Draft).where(Draft.user_id == actor.id)).first()


# -- in one go ------------------------------------------------------------------------------


def test_a_dispatcher_registers_in_any_park(
    db: Database, session: Session, people: dict[str, Actor]
) -> None:
    registered = db.call(
        records.register_enterprise,
        actor=people["dispatcher"],
        name="  坤昊实业   有限公司 ",
        credit_code=KUNHAO.lower(),
        park="码市工业园区",
        rules=RULES.at(NOW),
    )
    assert (registered.name, registered.credit_code, registered.park.label_zh) == (
        "坤昊实业 有限公司",
        KUNHAO,
        "码市工业园区",
    )
    (row,) = enterprises_in(session)
    assert (row.park_id, row.created_by_user_id, row.created_at) == (
        park_id(session, "MS"),
        people["dispatcher"].id,
        NOW,
    )
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "enterprise.create")).one()
    assert (event.entity_id, event.actor_user_id) == (row.id, people["dispatcher"].id)


def test_a_dispatcher_must_name_the_park(db: Database, people: dict[str, Actor]) -> None:
    with pytest.raises(InvalidInput, match="Which park") as refused:
        db.call(
            records.register_enterprise,
            actor=people["dispatcher"],
            name="X",
            credit_code=KUNHAO,
            rules=RULES,
        )
    assert refused.value.params["codes"] == "JH, HLK, MS"


def test_a_park_officer_registers_in_their_own_park_only(
    db: Database, session: Session, people: dict[str, Actor]
) -> None:
    officer = people["officer"]
    registered = db.call(
        records.register_enterprise, actor=officer, name="坤昊", credit_code=KUNHAO, rules=RULES
    )
    assert registered.park.id == park_id(session, "JH")
    db.call(
        records.register_enterprise,
        actor=officer,
        name="海螺",
        credit_code=CONCH,
        park="jh",
        rules=RULES,
    )
    with pytest.raises(NotAllowed, match="own park"):
        db.call(
            records.register_enterprise,
            actor=officer,
            name="别处",
            credit_code=credit_code(1),
            park="MS",
            rules=RULES,
        )
    assert len(enterprises_in(session)) == 2


@pytest.mark.parametrize("who", ["liaison", "nobody"])
def test_others_may_not_register(db: Database, people: dict[str, Actor], who: str) -> None:
    with pytest.raises(NotAllowed):
        db.call(
            records.register_enterprise,
            actor=people[who],
            name="X",
            credit_code=KUNHAO,
            park="JH",
            rules=RULES,
        )
    with pytest.raises(NotAllowed):
        db.call(form.begin_registration, actor=people[who], rules=RULES)


def test_a_bad_check_character_or_a_duplicate_code_is_refused(
    db: Database, session: Session, people: dict[str, Actor]
) -> None:
    officer = people["officer"]
    with pytest.raises(InvalidInput, match="check character"):
        db.call(
            records.register_enterprise,
            actor=officer,
            name="X",
            credit_code="91431129MA4L0KH01X",
            rules=RULES,
        )
    with pytest.raises(InvalidInput, match="18 characters"):
        db.call(
            records.register_enterprise, actor=officer, name="X", credit_code="123", rules=RULES
        )
    db.call(
        records.register_enterprise, actor=officer, name="坤昊实业", credit_code=KUNHAO, rules=RULES
    )
    with pytest.raises(InvalidInput, match="already registered") as refused:
        db.call(
            records.register_enterprise,
            actor=people["dispatcher"],
            name="Another",
            credit_code=KUNHAO,
            park="MS",
            rules=RULES,
        )
    # The refusal names the existing enterprise and its park, in both languages.
    assert refused.value.params["name"] == "坤昊实业"
    assert refused.value.params["park_zh"] == "江华经济技术开发区"
    assert "Jianghua" in str(refused.value)
    assert len(enterprises_in(session)) == 1


# -- guided ---------------------------------------------------------------------------------


def text(db: Database, actor: Actor, value: str) -> form.Prompt:
    return db.call(form.registration_text, actor=actor, text=value, rules=RULES.at(NOW))


def press(db: Database, actor: Actor, action: str, value: str = "") -> form.Prompt:
    return db.call(
        form.registration_button, actor=actor, action=action, value=value, rules=RULES.at(NOW)
    )


def test_the_guided_registration_of_a_dispatcher_with_two_projects(
    db: Database, session: Session, people: dict[str, Actor]
) -> None:
    dispatcher = people["dispatcher"]
    assert db.call(form.begin_registration, actor=dispatcher, rules=RULES.at(NOW)).step == form.NAME
    assert text(db, dispatcher, "海螺水泥有限责任公司").step == form.CREDIT
    prompt = text(db, dispatcher, CONCH)
    assert prompt.step == form.PARK
    assert [p.label_zh for p in prompt.parks] == [
        "江华经济技术开发区",
        "河路口工业园区",
        "码市工业园区",
    ]
    jh = park_id(session, "JH")
    prompt = press(db, dispatcher, "park", str(jh))
    assert (prompt.step, prompt.park and prompt.park.id, prompt.auto_park) == (
        form.PROJECT,
        jh,
        False,
    )
    assert text(db, dispatcher, "生产取水管线工程").step == form.INVESTMENT

    # Bad input: refused, and the draft is exactly as it was.
    before = draft_of(session, dispatcher)
    with pytest.raises(InvalidInput, match="amount in yuan"):
        text(db, dispatcher, "a lot")
    after = draft_of(session, dispatcher)
    assert before is not None and after is not None
    assert (after.step, after.data) == (before.step, before.data)

    prompt = text(db, dispatcher, "12亿")
    assert prompt.step == form.KEY
    assert prompt.current is not None and prompt.current.is_major
    prompt = press(db, dispatcher, "key", "1")
    assert prompt.step == form.HEAD  # a major project may get its efficiency head
    assert {c.id for c in prompt.heads} == {people["officer"].id, people["officer2"].id}
    with pytest.raises(InvalidState):  # not a park officer of this park
        press(db, dispatcher, "head", str(people["ms_officer"].id))
    prompt = press(db, dispatcher, "head", str(people["officer2"].id))
    assert prompt.step == form.MORE
    assert prompt.projects[-1].head == "user 4"

    # Another project: typed straight away at the "more" step.
    assert text(db, dispatcher, "二期项目").step == form.INVESTMENT
    with pytest.raises(InvalidState):
        press(db, dispatcher, "finish")  # not at this step: a stale button
    assert text(db, dispatcher, "8000万").step == form.KEY
    prompt = text(db, dispatcher, "否")
    assert prompt.step == form.MORE  # not major: no efficiency head asked
    assert [p.name for p in prompt.projects] == ["生产取水管线工程", "二期项目"]

    done = press(db, dispatcher, "finish")
    assert done.step == form.DONE and done.registered is not None
    assert [
        (p.name, p.investment_yuan, p.is_key, p.is_major) for p in done.registered.projects
    ] == [
        ("生产取水管线工程", 1_200_000_000, True, True),
        ("二期项目", 80_000_000, False, False),
    ]
    (row,) = enterprises_in(session)
    assert (row.name, row.credit_code, row.park_id) == ("海螺水泥有限责任公司", CONCH, jh)
    major, minor = projects_in(session)
    assert (major.efficiency_head_user_id, major.is_key, major.is_major) == (
        people["officer2"].id,
        True,
        True,
    )
    assert (minor.efficiency_head_user_id, minor.is_key, minor.investment_yuan) == (
        None,
        False,
        80_000_000,
    )
    assert draft_of(session, dispatcher) is None
    actions = session.exec(
        select(AuditEvent.action).where(
            AuditEvent.actor_user_id == dispatcher.id, AuditEvent.at == NOW
        )
    )
    assert sorted(actions) == ["enterprise.create", "project.create", "project.create"]


def test_a_park_officers_park_is_chosen_automatically(
    db: Database, session: Session, people: dict[str, Actor]
) -> None:
    officer = people["officer"]
    db.call(form.begin_registration, actor=officer, rules=RULES)
    text(db, officer, "坤昊实业")
    prompt = text(db, officer, KUNHAO)
    assert (prompt.step, prompt.auto_park) == (form.PROJECT, True)
    assert prompt.park is not None and prompt.park.label_zh == "江华经济技术开发区"
    # Typed park answers and park buttons are stale now.
    with pytest.raises(InvalidState):
        press(db, officer, "park", str(park_id(session, "JH")))
    done = press(db, officer, "finish")  # no projects: allowed
    assert done.registered is not None and done.registered.projects == ()
    assert [e.credit_code for e in enterprises_in(session)] == [KUNHAO]


def test_a_major_project_in_a_park_without_officers_skips_the_head(
    db: Database, people: dict[str, Actor], session: Session
) -> None:
    dispatcher = people["dispatcher"]
    db.call(form.begin_registration, actor=dispatcher, rules=RULES)
    text(db, dispatcher, "河路口企业")
    text(db, dispatcher, credit_code(2))
    press(db, dispatcher, "park", str(park_id(session, "HLK")))
    text(db, dispatcher, "风电一期")
    text(db, dispatcher, "1.2亿")
    prompt = press(db, dispatcher, "key", "0")
    assert prompt.step == form.MORE and prompt.projects[0].is_major


def test_bad_input_at_each_step_keeps_the_step_and_what_was_typed(
    db: Database, session: Session, people: dict[str, Actor]
) -> None:
    officer = people["officer"]
    db.call(
        records.register_enterprise, actor=officer, name="坤昊实业", credit_code=KUNHAO, rules=RULES
    )
    db.call(form.begin_registration, actor=officer, rules=RULES)
    with pytest.raises(InvalidInput):
        text(db, officer, "x" * 201)
    with pytest.raises(InvalidInput):
        text(db, officer, "   ")
    text(db, officer, "新企业")
    with pytest.raises(InvalidInput, match="check character"):
        text(db, officer, "91431129MA4L0KH01X")
    with pytest.raises(InvalidInput, match="already registered"):
        text(db, officer, KUNHAO)
    draft = draft_of(session, officer)
    assert draft is not None and (draft.step, draft.data["name"]) == (form.CREDIT, "新企业")
    text(db, officer, CONCH)
    text(db, officer, "一期")
    text(db, officer, "100")
    with pytest.raises(InvalidInput, match="yes or no"):
        text(db, officer, "perhaps")
    press(db, officer, "key", "0")
    with pytest.raises(InvalidInput, match="already on the list"):
        text(db, officer, "一期")
    prompt = db.call(form.registration_prompt, actor=officer, rules=RULES.at(NOW))
    assert prompt.step == form.MORE and [p.name for p in prompt.projects] == ["一期"]


@pytest.mark.parametrize(
    ("action", "value"),
    [
        ("park", "1"),  # right kind of button, wrong step
        ("key", "2"),
        ("key", "1"),
        ("head", "1"),
        ("add", ""),
        ("finish", ""),
        ("frobnicate", "x"),
        ("park", "not-a-number"),
        ("park", "9" * 40),
    ],
)
def test_forged_or_stale_buttons_change_nothing(
    db: Database, session: Session, people: dict[str, Actor], action: str, value: str
) -> None:
    dispatcher = people["dispatcher"]
    db.call(form.begin_registration, actor=dispatcher, rules=RULES)
    text(db, dispatcher, "坤昊实业")
    before = draft_of(session, dispatcher)
    with pytest.raises(DomainError):
        press(db, dispatcher, action, value)
    after = draft_of(session, dispatcher)
    assert before is not None and after is not None
    assert (after.step, after.data, after.expires_at) == (
        before.step,
        before.data,
        before.expires_at,
    )
    assert enterprises_in(session) == []


def test_a_park_officer_cannot_pick_another_park_by_button_or_text(
    db: Database, session: Session, people: dict[str, Actor]
) -> None:
    both = person(db, 50, Role.PARK_OFFICER, park_code="JH")
    code = db.call(
        invites.create_invitation,
        role=Role.PARK_OFFICER,
        created_by=None,
        park_code="HLK",
        rules=RULES,
    )
    db.call(onboarding.join, user=both.user, code=code.code, rules=RULES)
    both = db.call(load_actor, both.user)
    db.call(form.begin_registration, actor=both, rules=RULES)
    text(db, both, "两园区企业")
    prompt = text(db, both, KUNHAO)
    assert prompt.step == form.PARK  # two parks of their own: asked
    assert {p.label_zh for p in prompt.parks} == {"江华经济技术开发区", "河路口工业园区"}
    with pytest.raises(NotAllowed):
        press(db, both, "park", str(park_id(session, "MS")))
    with pytest.raises(NotAllowed):
        text(db, both, "MS")
    with pytest.raises(NotFound):
        text(db, both, "Atlantis")
    assert text(db, both, "河路口工业园区").step == form.PROJECT


def test_buttons_without_a_registration_in_progress_are_refused(
    db: Database, people: dict[str, Actor]
) -> None:
    with pytest.raises(InvalidState, match="No registration"):
        press(db, people["dispatcher"], "finish")
    with pytest.raises(InvalidState, match="No registration"):
        text(db, people["dispatcher"], "坤昊实业")


def test_a_code_registered_meanwhile_stops_the_finish_and_keeps_the_draft(
    db: Database, session: Session, people: dict[str, Actor]
) -> None:
    officer = people["officer"]
    db.call(form.begin_registration, actor=officer, rules=RULES)
    text(db, officer, "坤昊实业")
    text(db, officer, KUNHAO)
    db.call(
        records.register_enterprise,
        actor=people["dispatcher"],
        name="坤昊",
        credit_code=KUNHAO,
        park="JH",
        rules=RULES,
    )
    with pytest.raises(InvalidInput, match="already registered"):
        press(db, officer, "finish")
    assert len(enterprises_in(session)) == 1
    assert draft_of(session, officer) is not None


def test_cancel_submits_nothing(db: Database, session: Session, people: dict[str, Actor]) -> None:
    officer = people["officer"]
    db.call(form.begin_registration, actor=officer, rules=RULES)
    text(db, officer, "坤昊实业")
    text(db, officer, KUNHAO)
    assert press(db, officer, "cancel").step == form.CANCELLED
    assert draft_of(session, officer) is None
    assert enterprises_in(session) == []


def test_an_expired_draft_is_no_registration(db: Database, people: dict[str, Actor]) -> None:
    officer = people["officer"]
    db.call(form.begin_registration, actor=officer, rules=RULES.at(NOW))
    with pytest.raises(InvalidState):
        db.call(
            form.registration_text,
            actor=officer,
            text="坤昊",
            rules=RULES.at(NOW + TTL + timedelta(seconds=1)),
        )


def test_inviting_the_contact_of_a_registered_enterprise(
    db: Database, people: dict[str, Actor]
) -> None:
    registered = db.call(
        records.register_enterprise,
        actor=people["officer"],
        name="坤昊实业",
        credit_code=KUNHAO,
        rules=RULES,
    )
    issued = db.call(
        onboarding.invite,
        actor=people["officer"],
        role=Role.ENTERPRISE,
        enterprise_id=registered.id,
        rules=RULES,
    )
    contact = person(db, 60)
    joined = db.call(onboarding.join, user=contact.user, code=issued.code, rules=RULES)
    assert isinstance(joined, onboarding.Joined)
    assert (joined.role, joined.scope_zh) == (Role.ENTERPRISE, "坤昊实业")
    with pytest.raises(NotAllowed):
        db.call(
            onboarding.invite,
            actor=people["ms_officer"],
            role=Role.ENTERPRISE,
            enterprise_id=registered.id,
            rules=RULES,
        )


# -- CSV import -----------------------------------------------------------------------------

GOOD = (
    "\ufeff企业名称,统一社会信用代码,园区,项目名称,投资额,重点项目\n"
    f"坤昊实业有限公司,{KUNHAO},JH,二期增容项目,8000万,是\n"
    f'坤昊实业有限公司,{KUNHAO},江华经济技术开发区,三期,"1,200,000,000",否\n'
    f"海螺水泥有限责任公司,{CONCH},jh,生产取水管线工程,12亿,1\n"
    f"码市企业,{credit_code(3)},Mashi Industrial Park,,,\n"
    "\n"
)


def import_text(db: Database, text: str, park: str | None = None) -> importer.ImportResult:
    return db.call(
        importer.import_enterprises,
        rows=importer.read_csv(text),
        default_park=park,
        rules=RULES.at(NOW),
    )


def test_import_creates_enterprises_and_projects_and_is_idempotent(
    db: Database, session: Session
) -> None:
    result = import_text(db, GOOD)
    assert (result.enterprises_created, result.projects_created) == (3, 3)
    assert (result.enterprises_existing, result.projects_existing) == (0, 0)
    rows = {e.credit_code: e for e in enterprises_in(session)}
    assert rows[credit_code(3)].park_id == park_id(session, "MS")
    projects = {p.name: p for p in projects_in(session)}
    assert (projects["二期增容项目"].investment_yuan, projects["二期增容项目"].is_key) == (
        80_000_000,
        True,
    )
    assert projects["三期"].is_major and not projects["三期"].is_key
    again = import_text(db, GOOD)
    assert (again.enterprises_created, again.projects_created) == (0, 0)
    assert (again.enterprises_existing, again.projects_existing) == (3, 3)
    assert len(enterprises_in(session)) == 3 and len(projects_in(session)) == 3
    # A later file may add a project to a known enterprise.
    more = "name,credit_code,park,project\n" + f"坤昊实业有限公司,{KUNHAO},JH,四期\n"
    added = import_text(db, more)
    assert (added.enterprises_existing, added.projects_created) == (1, 1)


def test_english_headers_and_the_park_option(db: Database, session: Session) -> None:
    csv_text = (
        "Name, Credit_Code ,project,investment_yuan,key_project\n"
        f"Kunhao,{KUNHAO},Phase II,80000000,no\n"
    )
    result = import_text(db, csv_text, park="HLK")
    assert result.enterprises_created == 1
    assert enterprises_in(session)[0].park_id == park_id(session, "HLK")


def test_every_bad_row_is_reported_and_nothing_is_imported(db: Database, session: Session) -> None:
    db.call(
        records.register_enterprise,
        actor=person(db, 70, Role.DISPATCHER),
        name="Existing Co",
        credit_code=CONCH,
        park="JH",
        rules=RULES,
    )
    bad = (
        "name,credit_code,park,project,investment_yuan,key_project\n"
        f"Good,{KUNHAO},JH,P1,100,no\n"  # line 2: fine
        "Bad code,91431129MA4L0KH01X,JH,,,\n"  # 3
        f"No park,{credit_code(4)},,,,\n"  # 4
        f"Unknown park,{credit_code(5)},Atlantis,,,\n"  # 5
        f"Good,{KUNHAO},HLK,P2,,\n"  # 6: same code, other park
        f"Good,{KUNHAO},JH,P1,200,\n"  # 7: project repeated
        f"Money,{credit_code(6)},MS,P,lots,\n"  # 8
        f"Flag,{credit_code(7)},MS,P,,maybe\n"  # 9
        f"Orphan,{credit_code(8)},MS,,100,\n"  # 10: amount without a project
        f"Renamed,{CONCH},JH,,,\n"  # 11: registered under another name
        f",{credit_code(9)},MS,,,\n"  # 12: no name
        "Empty code,,MS,,,\n"  # 13
    )
    with pytest.raises(importer.ImportRejected) as rejected:
        import_text(db, bad)
    lines = [line for line, _reason in rejected.value.problems]
    assert lines == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
    reasons = dict(rejected.value.problems)
    assert "check character" in reasons[3]
    assert "--park" in reasons[4]
    assert "Atlantis" in reasons[5]
    assert "row 2" in reasons[6] and "row 2" in reasons[7]
    assert "Existing Co" in reasons[11]
    assert [e.credit_code for e in enterprises_in(session)] == [CONCH]
    assert projects_in(session) == []


def test_every_problem_of_a_row_is_reported(db: Database, session: Session) -> None:
    csv_text = (
        "name,credit_code,park,project,investment_yuan,key_project\n"
        ",91431129MA4L0KH01X,Atlantis,P,lots,maybe\n"
    )
    with pytest.raises(importer.ImportRejected) as rejected:
        import_text(db, csv_text)
    reasons = [reason for row, reason in rejected.value.problems if row == 2]
    assert len(reasons) == 5, reasons
    joined = "\n".join(reasons)
    for part in ("name cannot be empty", "check character", "Atlantis", "lots", "maybe"):
        assert part in joined
    assert enterprises_in(session) == []


CONTROL_CSV = (
    "企业名称,统一社会信用代码,园区,项目名称\n"
    f"坤昊\x00实业,{KUNHAO},JH,二期\n"  # row 2: NUL in the name
    f"海螺水泥,{CONCH},JH,取水\x07工程\n"  # row 3: BEL in the project
    f'"码市\n企业",{credit_code(3)},MS\x1b,\n'  # row 4: a line break is fine, ESC is not
    f"\x00,{credit_code(4)},MS,\x7f\n"  # row 5: two bad cells
)


def test_control_characters_are_refused_with_row_and_column(db: Database, session: Session) -> None:
    with pytest.raises(importer.ImportRejected) as rejected:
        import_text(db, CONTROL_CSV)
    problems = rejected.value.problems
    assert [row for row, _reason in problems] == [2, 3, 4, 5, 5]
    reasons = [reason for _row, reason in problems]
    assert reasons[0].startswith("column A (企业名称): ") and "U+0000 (NUL)" in reasons[0]
    assert reasons[1].startswith("column D (项目名称): ") and "U+0007" in reasons[1]
    assert reasons[2].startswith("column C (园区): ") and "U+001B" in reasons[2]
    assert reasons[3].startswith("column A (企业名称): ") and "U+0000" in reasons[3]
    assert reasons[4].startswith("column D (项目名称): ") and "U+007F" in reasons[4]
    assert enterprises_in(session) == [] and projects_in(session) == []


@pytest.mark.dialects("sqlite", "postgres", why="PostgreSQL alone refuses NUL in text")
def test_cli_names_control_characters_on_both_databases(
    cli: Callable[..., Result], tmp_path: Path, session: Session
) -> None:
    """PostgreSQL refuses NUL in text: the import must say so before it ever gets there."""
    path = tmp_path / "nul.csv"
    path.write_text(CONTROL_CSV, encoding="utf-8")
    result = cli("enterprise", "import", str(path))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit | None)
    assert f"{path}, row 2: column A (企业名称): the control character U+0000 (NUL)" in (
        result.stderr
    )
    assert "5 problem(s)" in result.stderr and "nothing was imported" in result.stderr
    # A file whose only fault is the NUL would otherwise reach PostgreSQL's INSERT.
    only_nul = tmp_path / "only-nul.csv"
    only_nul.write_text(f"name,credit_code,park\nKun\x00hao,{KUNHAO},JH\n", encoding="utf-8")
    result = cli("enterprise", "import", str(only_nul))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit | None)
    assert f"{only_nul}, row 2: column A (name): the control character U+0000 (NUL)" in (
        result.stderr
    )
    assert enterprises_in(session) == []


def test_park_option_conflicting_with_the_row(db: Database) -> None:
    csv_text = "name,credit_code,park\n" + f"X,{KUNHAO},JH\n"
    with pytest.raises(importer.ImportRejected) as rejected:
        import_text(db, csv_text, park="MS")
    assert rejected.value.problems[0][0] == 2
    with pytest.raises(NotFound):
        import_text(db, csv_text, park="Atlantis")


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("", "empty"),
        ("name,park\n", "credit_code"),
        ("name,credit_code,colour\n", "unknown column"),
        ("name,credit_code,name\n", "twice"),
    ],
)
def test_header_problems(header: str, problem: str) -> None:
    with pytest.raises(importer.ImportRejected) as rejected:
        importer.read_csv(header)
    assert problem in rejected.value.problems[0][1]
    assert rejected.value.problems[0][0] == 1


def test_rows_are_numbered_as_a_spreadsheet_shows_them(db: Database) -> None:
    # A quoted cell with line breaks is one row, and a blank line is a row too.
    csv_text = (
        f'name,credit_code,park\n"Two\nLines",{KUNHAO},JH\nX,{CONCH},JH,extra\n\n'
        f'"Three\n\nLines",{credit_code(3)},Atlantis\n'
    )
    with pytest.raises(importer.ImportRejected) as rejected:
        import_text(db, csv_text)
    assert rejected.value.problems == [
        (3, "4 cells but the header has 3"),
        (5, "unknown park 'Atlantis'"),
    ]
    rows = importer.read_csv(csv_text.replace(",extra", ""))
    assert [(r.row, r.values["name"]) for r in rows] == [
        (2, "Two\nLines"),
        (3, "X"),
        (5, "Three\n\nLines"),
    ]


# -- the command line -----------------------------------------------------------------------


@pytest.fixture
def cli(
    db: Database,
    db_url: str,
    settings_factory: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Callable[..., Result]:
    """``duban ...`` against the test database, from an empty directory."""
    settings_factory()  # clears the developer's DUBAN_* and points at the repo's settings.toml
    monkeypatch.setenv("DUBAN_DATABASE__URL", db_url)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), prog_name="duban")

    return invoke


def test_cli_import_good_file_with_bom_then_again(
    cli: Callable[..., Result], tmp_path: Path, session: Session
) -> None:
    path = tmp_path / "parks.csv"
    path.write_bytes(GOOD.encode("utf-8"))  # GOOD starts with a BOM
    first = cli("enterprise", "import", str(path))
    assert first.exit_code == 0, first.output
    assert "3 enterprises and 3 projects created" in first.stdout
    second = cli("enterprise", "import", str(path))
    assert second.exit_code == 0, second.output
    assert "0 enterprises and 0 projects created" in second.stdout
    assert "3 enterprises and 3 projects already registered" in second.stdout
    assert len(enterprises_in(session)) == 3 and len(projects_in(session)) == 3


def test_cli_import_without_bom_and_with_park_option(
    cli: Callable[..., Result], tmp_path: Path, session: Session
) -> None:
    path = tmp_path / "hlk.csv"
    path.write_text(f"企业名称,统一社会信用代码\n河路口企业,{KUNHAO}\n", encoding="utf-8")
    result = cli("enterprise", "import", str(path), "--park", "HLK")
    assert result.exit_code == 0, result.output
    assert enterprises_in(session)[0].park_id == park_id(session, "HLK")


def test_cli_import_reports_bad_rows_and_imports_nothing(
    cli: Callable[..., Result], tmp_path: Path, session: Session
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "name,credit_code,park,project,investment_yuan\n"
        f"Good,{KUNHAO},JH,P1,8000万\n"
        "Bad,91431129MA4L0KH01X,JH,,\n"
        f"Money,{CONCH},JH,P,lots\n",
        encoding="utf-8",
    )
    result = cli("enterprise", "import", str(path))
    assert result.exit_code == 1
    assert f"{path}, row 3: The check character" in result.stderr
    assert f"{path}, row 4: I could not read lots" in result.stderr
    assert "2 problem(s)" in result.stderr and "nothing was imported" in result.stderr
    assert enterprises_in(session) == []


def test_cli_import_refuses_unreadable_files(cli: Callable[..., Result], tmp_path: Path) -> None:
    latin = tmp_path / "gbk.csv"
    latin.write_bytes("企业名称,统一社会信用代码\n".encode("gbk"))
    result = cli("enterprise", "import", str(latin))
    assert result.exit_code == 1 and "not UTF-8" in result.stderr
    missing = cli("enterprise", "import", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 1 and "cannot read" in missing.stderr
    unknown_park = tmp_path / "ok.csv"
    unknown_park.write_text(f"name,credit_code\nX,{KUNHAO}\n", encoding="utf-8")
    result = cli("enterprise", "import", str(unknown_park), "--park", "Atlantis")
    assert result.exit_code == 1 and "no park" in result.stderr
