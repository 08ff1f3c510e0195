"""Human-readable numbers people can type: 2026-0001 for cases."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, select

from models import Counter


def next_value(session: Session, name: str) -> int:
    """Increment and return counter ``name`` inside the current transaction."""
    row = session.exec(select(Counter).where(Counter.name == name).with_for_update()).first()
    if row is None:
        row = Counter(name=name, value=0)
        session.add(row)
        session.flush()
    session.execute(update(Counter).where(Counter.name == name).values(value=Counter.value + 1))
    session.refresh(row)
    return row.value


def case_number(session: Session, year: int) -> str:
    return f"{year}-{next_value(session, f'case:{year}'):04d}"
