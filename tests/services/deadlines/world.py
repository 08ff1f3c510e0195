"""A seeded world for the deadline engine's tests: dispatch, sign for, complete, sweep."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from bot.db import Database
from models import Assignment, Case, OutboxMessage, User
from services import assignments, cases
from services.dispatch import orders
from services.rules import Rules
from services.users import Actor, load_actor
from tests.rules import RULES

# Monday 2026-11-23 10:00 in Shanghai.
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CONTACT, DISPATCHER, DRC, DRC_HEAD, POWER, SUPERVISOR = 1001, 2002, 3002, 3101, 3005, 4001


def actor(db: Database, telegram_id: int) -> Actor:
    def load(session: Session) -> Actor:
        user = session.exec(select(User).where(User.telegram_id == telegram_id)).one()
        return load_actor(session, user)

    return db.call(load)


def submit(db: Database, *, at: datetime = MONDAY, key: str, rules: Rules = RULES) -> Case:
    """A permit case from the enterprise, filed at ``at``."""
    return db.call(
        cases.submit_case,
        actor=actor(db, CONTACT),
        category="permit",
        description="二期增容用电审批",
        idempotency_key=key,
        rules=rules.at(at),
    ).case


def dispatch(
    db: Database, *, at: datetime = MONDAY, codes: tuple[str, ...] = ("drc",), rules: Rules = RULES
) -> list[Assignment]:
    """A permit case from the enterprise, dispatched to ``codes`` at ``at``."""
    case = submit(db, at=at, key=f"u:{at.timestamp()}:{codes}", rules=rules)
    return db.call(
        orders.dispatch_case,
        actor=actor(db, DISPATCHER),
        case_id=case.id,
        department_codes=list(codes),
        rules=rules.at(at),
    )


def sign_for(db: Database, assignment: Assignment, at: datetime, who: int = DRC) -> Assignment:
    return db.call(
        assignments.acknowledge,
        actor=actor(db, who),
        assignment_id=assignment.id,
        rules=RULES.at(at),
    )


def complete(db: Database, assignment: Assignment, at: datetime, who: int = DRC) -> Assignment:
    return db.call(
        assignments.complete,
        actor=actor(db, who),
        assignment_id=assignment.id,
        result="批复已下达",
        rules=RULES.at(at),
    )


def reload(db: Database, assignment: Assignment) -> Assignment:
    return db.call(lambda s: s.get(Assignment, assignment.id))


def sent_to(db: Database, telegram_id: int, prefix: str = "") -> list[OutboxMessage]:
    """The outbox rows for one chat whose template starts with ``prefix``, in order."""
    return db.call(
        lambda s: list(
            s.exec(
                select(OutboxMessage)
                .where(
                    OutboxMessage.chat_id == telegram_id,
                    col(OutboxMessage.template).startswith(prefix),
                )
                .order_by(col(OutboxMessage.id))
            ).all()
        )
    )
