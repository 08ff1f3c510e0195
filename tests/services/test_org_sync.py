"""Mirroring the organisation from settings into the database."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import Session, func, select

from bot.db import Database
from bot.settings import NamedUnit, Settings
from models import AuditEvent, Department, Park
from services.org import SyncResult, sync_organisation

pytestmark = pytest.mark.dialects(
    "sqlite",
    why="mirroring settings into rows is plain ORM upserts by one writer",
)


def audit_count(session: Session) -> int:
    session.rollback()  # see what db.call committed since
    return session.exec(select(func.count()).select_from(AuditEvent)).one()


def departments(session: Session) -> dict[str, Department]:
    session.rollback()
    return {d.code: d for d in session.exec(select(Department))}


def sync(db: Database, settings: Settings) -> SyncResult:
    org = settings.organisation
    return db.call(sync_organisation, parks=org.parks, departments=org.departments)


def with_departments(settings: Settings, units: list[NamedUnit]) -> Settings:
    organisation = settings.organisation.model_copy(update={"departments": units})
    return settings.model_copy(update={"organisation": organisation})


def test_the_first_sync_creates_everything_with_audit(
    db: Database, session: Session, settings_factory: Callable[..., Settings]
) -> None:
    org = settings_factory().organisation
    parks = {p.code: p for p in session.exec(select(Park))}
    assert set(parks) == {p.code for p in org.parks}
    assert parks["JH"].name_zh == "江华经济技术开发区"
    depts = departments(session)
    assert set(depts) == {d.code for d in org.departments}
    assert all(d.active for d in depts.values())
    created = session.exec(select(AuditEvent).where(AuditEvent.action == "org.create")).all()
    assert len(created) == len(org.parks) + len(org.departments)
    assert {(e.entity, e.data["code"]) for e in created} == {
        *(("parks", p.code) for p in org.parks),
        *(("departments", d.code) for d in org.departments),
    }


def test_a_second_sync_changes_nothing(
    db: Database, session: Session, settings_factory: Callable[..., Settings]
) -> None:
    before_rows = {
        c: (d.id, d.name_zh, d.name_en, d.active) for c, d in departments(session).items()
    }
    before_audit = audit_count(session)
    result = sync(db, settings_factory())
    assert result == SyncResult(created=0, updated=0, deactivated=0)
    assert not result.changed
    assert audit_count(session) == before_audit
    after_rows = {
        c: (d.id, d.name_zh, d.name_en, d.active) for c, d in departments(session).items()
    }
    assert after_rows == before_rows


def test_a_renamed_department_is_updated_in_place(
    db: Database, session: Session, settings_factory: Callable[..., Settings]
) -> None:
    settings = settings_factory()
    original = departments(session)["qts"]
    renamed = [
        NamedUnit(code="qts", name_zh="县市场监管局", name_en="Market Regulation Bureau")
        if d.code == "qts"
        else d
        for d in settings.organisation.departments
    ]
    result = sync(db, with_departments(settings, renamed))
    assert result == SyncResult(created=0, updated=1, deactivated=0)
    session.rollback()
    rows = session.exec(select(Department).where(Department.code == "qts")).all()
    assert len(rows) == 1  # not duplicated
    assert rows[0].id == original.id
    assert (rows[0].name_zh, rows[0].name_en) == ("县市场监管局", "Market Regulation Bureau")
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "org.update")).one()
    assert (event.entity, event.entity_id) == ("departments", original.id)
    assert event.data["before"]["name_zh"] == "县质监局"
    # Renaming again to the same names is a no-op.
    assert not sync(db, with_departments(settings, renamed)).changed


def test_a_removed_department_is_deactivated_not_deleted(
    db: Database, session: Session, settings_factory: Callable[..., Settings]
) -> None:
    settings = settings_factory()
    police_id = departments(session)["police"].id
    remaining = [d for d in settings.organisation.departments if d.code != "police"]
    result = sync(db, with_departments(settings, remaining))
    assert result == SyncResult(created=0, updated=0, deactivated=1)
    police = departments(session)["police"]
    assert police.id == police_id
    assert not police.active
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "org.deactivate")).one()
    assert (event.entity, event.entity_id, event.data) == (
        "departments",
        police_id,
        {"code": "police"},
    )
    # A second sync without it changes nothing more.
    before = audit_count(session)
    assert not sync(db, with_departments(settings, remaining)).changed
    assert audit_count(session) == before


def test_a_department_put_back_is_reactivated(
    db: Database, session: Session, settings_factory: Callable[..., Settings]
) -> None:
    settings = settings_factory()
    police_id = departments(session)["police"].id
    remaining = [d for d in settings.organisation.departments if d.code != "police"]
    sync(db, with_departments(settings, remaining))
    result = sync(db, settings)
    assert result == SyncResult(created=0, updated=1, deactivated=0)
    police = departments(session)["police"]
    assert (police.id, police.active) == (police_id, True)


def test_a_new_department_is_created(
    db: Database, session: Session, settings_factory: Callable[..., Settings]
) -> None:
    settings = settings_factory()
    tax = NamedUnit(code="tax", name_zh="县税务局", name_en="Tax Bureau")
    result = sync(db, with_departments(settings, [*settings.organisation.departments, tax]))
    assert result == SyncResult(created=1, updated=0, deactivated=0)
    assert departments(session)["tax"].name_zh == "县税务局"
    event = session.exec(
        select(AuditEvent).where(AuditEvent.action == "org.create").order_by(AuditEvent.id.desc())  # type: ignore[union-attr]
    ).first()
    assert event is not None
    assert event.data == {"code": "tax"}
