"""Builders the tests share: a user, an actor, a valid credit code, the seeded demo, the outbox."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select
from stdnum.cn import uscc

from bot.db import Database
from models import Assignment, Case, OutboxMessage, User
from services import cases
from services.demo import seed_demo
from services.dispatch import orders
from services.rules import Rules
from services.users import Actor, load_actor

# The demo's people by Telegram id (services/demo.py PERSONAS).
WANG = 1001  # Kunhao's contact
PARK_OFFICER = 2001  # Jianghua park's officer
DISPATCHER = 2002  # the county office's dispatcher
DRC_LIAISON = 3002  # the Development & Reform Commission's liaison


SHANGHAI = ZoneInfo("Asia/Shanghai")  # the zone settings.toml configures
NEW_YORK = ZoneInfo("America/New_York")  # a zone with daylight saving, for the edge cases


def at(
    year: int, month: int, day: int, hour: int = 10, minute: int = 0, *, zone: ZoneInfo = SHANGHAI
) -> datetime:
    """A wall-clock moment (Shanghai unless told), as the aware UTC datetime services take."""
    return datetime(year, month, day, hour, minute, tzinfo=zone).astimezone(UTC)


def eod(year: int, month: int, day: int) -> datetime:
    """18:00 Shanghai on that day (the end of a working day), in UTC."""
    return at(year, month, day, 18)


def credit_code(n: int) -> str:
    """A valid unified social credit code, different for each ``n``."""
    base = f"91431129MA{n:07d}"
    return base + uscc.calc_check_digit(base)


def make_user(
    db: Database, telegram_id: int, name: str | None = None, language: str | None = None
) -> User:
    """A stored Telegram user with no role yet."""

    def add(session: Session) -> User:
        shown = name or f"user {telegram_id}"
        user = User(telegram_id=telegram_id, display_name=shown, language=language)
        session.add(user)
        session.flush()
        return user

    return db.call(add)


def actor_of(db: Database, user: User) -> Actor:
    """The acting user with the roles the database grants them now."""
    return db.call(load_actor, user)


def actor(db: Database, telegram_id: int) -> Actor:
    """The actor of the stored user with this Telegram id (e.g. one of the demo's people)."""

    def load(session: Session) -> Actor:
        user = session.exec(select(User).where(User.telegram_id == telegram_id)).one()
        return load_actor(session, user)

    return db.call(load)


def seeded_demo(db: Database) -> Database:
    """``db`` with the demo's enterprises, projects and people (services/demo.py)."""
    db.call(seed_demo)
    return db


def outbox_for(db: Database, telegram_id: int) -> list[OutboxMessage]:
    """Every outbox row owed to one chat, oldest first."""
    return db.call(
        lambda s: list(
            s.exec(
                select(OutboxMessage)
                .where(OutboxMessage.chat_id == telegram_id)
                .order_by(col(OutboxMessage.id))
            ).all()
        )
    )


def templates_for(db: Database, telegram_id: int) -> list[str]:
    """The templates of the outbox rows owed to one chat, oldest first."""
    return [m.template for m in outbox_for(db, telegram_id)]


def file_case(db: Database, *, rules: Rules, by: int = WANG, category: str = "permit") -> Case:
    """A case filed by one of the demo's enterprise contacts (Kunhao's by default)."""
    return db.call(
        cases.submit_case,
        actor=actor(db, by),
        category=category,
        description="环评批复迟迟未下，影响二期开工",
        rules=rules,
    ).case


def dispatched(
    db: Database, *, rules: Rules, codes: tuple[str, ...] = ("drc",), category: str = "permit"
) -> tuple[Case, list[Assignment]]:
    """A demo case dispatched by the county office to ``codes`` (the DRC by default)."""
    case = file_case(db, rules=rules, category=category)
    issued = db.call(
        orders.dispatch_case,
        actor=actor(db, DISPATCHER),
        case_id=case.id,
        department_codes=list(codes),
        rules=rules,
    )
    return case, issued
