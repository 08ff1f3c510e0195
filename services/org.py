"""The organisation from settings, mirrored into the database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from sqlmodel import Session, col, select

from models import Department, Park
from services import audit

Unit = TypeVar("Unit", Park, Department)


class UnitSpec(Protocol):
    # Read-only members, so frozen settings models satisfy the protocol.
    @property
    def code(self) -> str: ...
    @property
    def name_zh(self) -> str: ...
    @property
    def name_en(self) -> str: ...


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    deactivated: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)


class EmptyOrganisation(ValueError):
    """Settings list no parks or no departments while the database has active ones."""

    def __init__(self, kinds: list[str]) -> None:
        super().__init__(f"settings list no {' and no '.join(kinds)}")
        self.kinds = kinds


def sync_organisation(
    session: Session,
    *,
    parks: Sequence[UnitSpec],
    departments: Sequence[UnitSpec],
    allow_empty: bool = False,
) -> SyncResult:
    """Create, rename or deactivate parks and departments to match settings; idempotent.

    An empty list would deactivate every unit of its kind, which is almost always a settings
    file that lost its organisation; that needs ``allow_empty``.
    """
    result = SyncResult()
    if not allow_empty:
        _refuse_emptying(session, parks=parks, departments=departments)
    _sync_units(session, Park, parks, result)
    _sync_units(session, Department, departments, result)
    return result


def _refuse_emptying(
    session: Session, *, parks: Sequence[UnitSpec], departments: Sequence[UnitSpec]
) -> None:
    emptied = [
        model.__tablename__
        for model, specs in ((Park, parks), (Department, departments))
        if not specs and session.exec(select(model.id).where(col(model.active))).first() is not None
    ]
    if emptied:
        raise EmptyOrganisation(emptied)


def _sync_units(
    session: Session, model: type[Unit], specs: Sequence[UnitSpec], result: SyncResult
) -> None:
    """Bring one table of named units in line with ``specs``, counting into ``result``."""
    existing = {row.code: row for row in session.exec(select(model))}
    wanted = {spec.code for spec in specs}
    for spec in specs:
        row = existing.get(spec.code)
        if row is None:
            row = model(code=spec.code, name_zh=spec.name_zh, name_en=spec.name_en)
            session.add(row)
            session.flush()
            result.created += 1
            audit.record(
                session,
                actor_id=None,
                action="org.create",
                entity=model.__tablename__,
                entity_id=row.id,
                data={"code": spec.code},
            )
        elif (row.name_zh, row.name_en, row.active) != (spec.name_zh, spec.name_en, True):
            before = {"name_zh": row.name_zh, "name_en": row.name_en, "active": row.active}
            row.name_zh, row.name_en, row.active = spec.name_zh, spec.name_en, True
            session.add(row)
            result.updated += 1
            audit.record(
                session,
                actor_id=None,
                action="org.update",
                entity=model.__tablename__,
                entity_id=row.id,
                data={"code": spec.code, "before": before},
            )
    # Removed from settings: deactivated, never deleted, because history points at it.
    for code, row in existing.items():
        if code not in wanted and row.active:
            row.active = False
            session.add(row)
            result.deactivated += 1
            audit.record(
                session,
                actor_id=None,
                action="org.deactivate",
                entity=model.__tablename__,
                entity_id=row.id,
                data={"code": code},
            )


def department_by_code(session: Session, code: str) -> Department | None:
    return session.exec(select(Department).where(Department.code == code)).first()


def park_by_code(session: Session, code: str) -> Park | None:
    return session.exec(select(Park).where(Park.code == code)).first()
