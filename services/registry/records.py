"""The enterprise registry: who may register, lookups, and creating enterprises and projects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models import MAJOR_PROJECT_YUAN, Enterprise, Park, Project, User
from models.enums import COUNTY_ROLES, OFFICE_ROLES, Role
from services import audit
from services.credit_code import normalize_credit_code
from services.errors import InvalidInput, NotAllowed
from services.onboarding import find_park
from services.registry.values import clean_name
from services.rules import Rules
from services.users import Actor, holders


@dataclass(frozen=True)
class Choice:
    """A button choice: a park or a person."""

    id: int
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class ProjectInfo:
    name: str
    investment_yuan: int | None = None
    is_key: bool | None = None
    head: str | None = None  # the efficiency head's name

    @property
    def is_major(self) -> bool:
        return (self.investment_yuan or 0) >= MAJOR_PROJECT_YUAN


@dataclass(frozen=True)
class Registered:
    """An enterprise as registered, with its projects."""

    id: int
    name: str
    credit_code: str
    park: Choice
    projects: tuple[ProjectInfo, ...] = ()


# -- permissions and lookups ---------------------------------------------------------------


def require_office(actor: Actor) -> None:
    if not actor.has(*OFFICE_ROLES):
        raise NotAllowed(
            "Only park officers, dispatchers and administrators can register enterprises."
        )


def allowed_parks(session: Session, actor: Actor) -> list[Park]:
    """Parks ``actor`` may register enterprises in: all for the county office, else their own."""
    parks = session.exec(select(Park).where(col(Park.active)).order_by(col(Park.id))).all()
    if actor.has(*COUNTY_ROLES):
        return list(parks)
    own = actor.park_ids()
    return [p for p in parks if p.id in own]


def park_choice(park: Park) -> Choice:
    assert park.id is not None
    return Choice(id=park.id, label_zh=park.name_zh, label_en=park.name_en)


def allowed_park(session: Session, actor: Actor, park_id: int) -> Park:
    for park in allowed_parks(session, actor):
        if park.id == park_id:
            return park
    raise NotAllowed("You may only register enterprises in your own park.")


def check_new_credit_code(session: Session, text: str) -> str:
    """The normalized code, unless it is invalid or an enterprise already has it."""
    code = normalize_credit_code(text)
    existing = session.exec(select(Enterprise).where(Enterprise.credit_code == code)).first()
    if existing is not None:
        park = session.get(Park, existing.park_id)
        raise InvalidInput(
            "The credit code {code} is already registered: {name}, {park_en}.",
            code=code,
            name=existing.name,
            park_en=park.name_en if park else "?",
            park_zh=park.name_zh if park else "?",
        )
    return code


def head_candidates(session: Session, *, park_id: int) -> list[User]:
    """Who may be a major project's efficiency head: the park officers of its park."""
    return sorted(holders(session, Role.PARK_OFFICER, park_id=park_id), key=lambda u: u.id or 0)


def person_choice(user: User) -> Choice:
    assert user.id is not None
    name = user.display_name or f"#{user.id}"
    return Choice(id=user.id, label_zh=name, label_en=name)


# -- creating ------------------------------------------------------------------------------


def create_enterprise(
    session: Session,
    *,
    actor_id: int | None,
    name: str,
    credit_code: str,
    park: Park,
    now: datetime,
    source: str,
) -> Enterprise:
    enterprise = Enterprise(
        name=name,
        credit_code=credit_code,
        park_id=park.id,  # type: ignore[arg-type]  # stored rows have an id
        created_at=now,
        created_by_user_id=actor_id,
    )
    session.add(enterprise)
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="enterprise.create",
        entity="enterprises",
        entity_id=enterprise.id,
        data={"credit_code": credit_code, "park": park.code, "source": source},
        at=now,
    )
    return enterprise


def create_project(
    session: Session,
    *,
    actor_id: int | None,
    enterprise: Enterprise,
    name: str,
    investment_yuan: int,
    is_key: bool,
    head_user_id: int | None,
    now: datetime,
    source: str,
) -> Project:
    project = Project(
        enterprise_id=enterprise.id,  # type: ignore[arg-type]  # stored rows have an id
        name=name,
        investment_yuan=investment_yuan,
        is_key=is_key,
        efficiency_head_user_id=head_user_id,
        created_at=now,
    )
    session.add(project)
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="project.create",
        entity="projects",
        entity_id=project.id,
        data={
            "enterprise_id": enterprise.id,
            "investment_yuan": investment_yuan,
            "is_key": is_key,
            "efficiency_head_user_id": head_user_id,
            "source": source,
        },
        at=now,
    )
    return project


def register_enterprise(
    session: Session,
    *,
    actor: Actor,
    name: str,
    credit_code: str,
    park: str | None = None,
    rules: Rules,
) -> Registered:
    """Register an enterprise in one go; ``park`` (code or name) may be left out by an officer
    of a single park."""
    require_office(actor)
    now = rules.now()
    clean = clean_name(name)
    code = check_new_credit_code(session, credit_code)
    allowed = allowed_parks(session, actor)
    if park is not None:
        chosen = find_park(session, park)
        if chosen.id not in {p.id for p in allowed}:
            raise NotAllowed("You may only register enterprises in your own park.")
    elif len(allowed) == 1 and not actor.has(*COUNTY_ROLES):
        chosen = allowed[0]
    else:
        raise InvalidInput(
            "Which park? Add its code: {codes}.", codes=", ".join(p.code for p in allowed)
        )
    enterprise = create_enterprise(
        session,
        actor_id=actor.id,
        name=clean,
        credit_code=code,
        park=chosen,
        now=now,
        source="chat",
    )
    assert enterprise.id is not None
    return Registered(id=enterprise.id, name=clean, credit_code=code, park=park_choice(chosen))
