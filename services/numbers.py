"""Human-readable numbers people can type: 2026-0001 for cases."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from models import Counter


def next_value(session: Session, name: str) -> int:
    """Increment and return counter ``name`` inside the current transaction.

    The row is created with ON CONFLICT DO NOTHING and incremented with one UPDATE ...
    RETURNING, so two first-of-the-year cases filed at the same moment cannot collide.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(Counter).values(name=name, value=0).on_conflict_do_nothing(index_elements=["name"])
    )
    statement = (
        update(Counter)
        .where(col(Counter.name) == name)
        .values(value=Counter.value + 1)
        .returning(col(Counter.value))
    )
    return int(session.execute(statement).scalar_one())


def case_number(session: Session, year: int) -> str:
    return f"{year}-{next_value(session, f'case:{year}'):04d}"
