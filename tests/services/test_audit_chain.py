"""The audit trail is append-only and tamper-evident: `duban audit verify` names the break."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session, col, select
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.db import Database, alembic_config, make_engine, upgrade
from bot.settings import Settings
from models import AuditEvent
from services import assignments, audit
from tests.factories import DRC_LIAISON, actor, dispatched, seeded_demo
from tests.rules import RULES

MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def workflow(db: Database) -> None:
    """A case reported, dispatched, signed for, noted and completed: a dozen events or more."""
    rules = RULES.at(MONDAY)
    _, issued = dispatched(db, rules=rules)
    liaison = actor(db, DRC_LIAISON)
    number = issued[0].number
    db.call(assignments.acknowledge, actor=liaison, assignment_number=number, rules=rules)
    db.call(
        assignments.add_progress, actor=liaison, assignment_number=number, text="在办", rules=rules
    )
    db.call(
        assignments.complete, actor=liaison, assignment_number=number, result="办结", rules=rules
    )


def events(db: Database) -> list[AuditEvent]:
    return db.call(lambda s: list(s.exec(select(AuditEvent).order_by(col(AuditEvent.id)))))


def tamper(db: Database, *statements: str) -> None:
    """Change the table behind the triggers' back, as someone with the database's keys could."""
    drop, create = _trigger_sql(db.url)
    with db.engine.begin() as conn:
        for statement in [*drop, *statements, *create]:
            conn.execute(sa.text(statement))


def _trigger_sql(url: str) -> tuple[list[str], list[str]]:
    if url.startswith("postgresql"):
        return (
            ["ALTER TABLE audit_events DISABLE TRIGGER USER"],
            ["ALTER TABLE audit_events ENABLE TRIGGER USER"],
        )
    from importlib import import_module

    migration = import_module("models.migrations.versions.0004_audit_chain")
    return (
        ["DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"],
        list(migration.SQLITE_TRIGGERS),
    )


@pytest.fixture
def chained(db: Database) -> Database:
    seeded_demo(db)
    workflow(db)
    return db


@pytest.fixture
def verify_cli(
    settings_factory: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    db_url: str,
) -> Callable[[], Result]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DUBAN_DATABASE__URL", db_url)
    runner = CliRunner()
    return lambda: runner.invoke(app, ["audit", "verify"], prog_name="duban")


def test_a_normal_workflow_verifies(chained: Database, verify_cli: Callable[[], Result]) -> None:
    rows = events(chained)
    assert [e.seq for e in rows] == list(range(1, len(rows) + 1))
    signed = next(e for e in rows if e.action == "assignment.acknowledge")
    assert (signed.before, signed.after) == ({"status": "issued"}, {"status": "acknowledged"})
    assert signed.actor_user_id is not None and signed.entity == "assignments"
    result = verify_cli()
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{len(rows)} events, chain head {rows[-1].hash}: OK")


def test_the_database_refuses_update_and_delete(chained: Database) -> None:
    first = events(chained)[0]
    for statement in (
        f"UPDATE audit_events SET action = 'x' WHERE id = {first.id}",
        f"DELETE FROM audit_events WHERE id = {first.id}",
    ):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with chained.engine.begin() as conn:
                conn.execute(sa.text(statement))
    assert events(chained)[0] == first


def test_an_edited_event_is_named(chained: Database, verify_cli: Callable[[], Result]) -> None:
    victim = next(e for e in events(chained) if e.action == "assignment.complete")
    tamper(
        chained,
        f"""UPDATE audit_events SET data = '{{"late": true}}' WHERE id = {victim.id}""",
    )
    result = verify_cli()
    assert result.exit_code == 1
    assert f"event {victim.id} (" in result.output and "assignment.complete" in result.output
    assert "hash mismatch" in result.output
    when = victim.at.strftime("%Y-%m-%d %H:%M:%S UTC")
    assert when in result.output


def test_a_deleted_event_is_a_gap(chained: Database, verify_cli: Callable[[], Result]) -> None:
    rows = events(chained)
    victim, following = rows[5], rows[6]
    tamper(chained, f"DELETE FROM audit_events WHERE id = {victim.id}")
    result = verify_cli()
    assert result.exit_code == 1
    assert f"event {following.id} (" in result.output and following.action in result.output
    assert f"gap: event {victim.seq} is missing from the chain (deleted)" in result.output


def test_a_deleted_last_event_is_a_gap(chained: Database, verify_cli: Callable[[], Result]) -> None:
    rows = events(chained)
    tamper(chained, f"DELETE FROM audit_events WHERE id = {rows[-1].id}")
    result = verify_cli()
    assert result.exit_code == 1
    assert f"the last events are missing (the head says {len(rows)}" in result.output


def test_reordered_events_are_named(chained: Database, verify_cli: Callable[[], Result]) -> None:
    rows = events(chained)
    a, b = rows[3], rows[7]
    tamper(
        chained,
        f"UPDATE audit_events SET seq = -1 WHERE id = {a.id}",
        f"UPDATE audit_events SET seq = {a.seq} WHERE id = {b.id}",
        f"UPDATE audit_events SET seq = {b.seq} WHERE id = {a.id}",
    )
    result = verify_cli()
    assert result.exit_code == 1
    # In chain order b now comes first, where a was: b is the first event out of place.
    assert f"event {b.id} (" in result.output and b.action in result.output
    assert f"out of order: it was chained after event {rows[6].id}," in result.output


def test_an_event_slipped_in_is_named(chained: Database) -> None:
    with chained.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO audit_events (at, action, entity) "
                "VALUES (CURRENT_TIMESTAMP, 'role.grant', 'role_grants')"
            )
        )
    verdict = chained.call(audit.verify)
    assert verdict.broken is not None and verdict.broken.action == "role.grant"
    assert verdict.broken.reason.startswith("unsealed")


def test_a_relinked_event_is_named(chained: Database) -> None:
    # Someone recomputes one event's hash after editing it: the next event's link still breaks.
    rows = events(chained)
    victim, following = rows[2], rows[3]
    fields = {name: getattr(victim, name) for name in audit.HASHED}
    fields["action"] = "case.decline"
    forged = audit.event_hash(fields, victim.prev_hash)
    tamper(
        chained,
        f"UPDATE audit_events SET action = 'case.decline', hash = '{forged}' "
        f"WHERE id = {victim.id}",
    )
    verdict = chained.call(audit.verify)
    assert verdict.broken is not None and verdict.broken.event_id == following.id
    assert verdict.broken.reason.startswith("prev link broken")
    assert verdict.count == 3


def test_an_old_database_is_chained_by_the_migration(empty_db_url: str) -> None:
    upgrade(empty_db_url, "0003")
    engine = make_engine(empty_db_url)
    old = datetime(2026, 1, 5, 1, 2, 3, 456789, tzinfo=UTC)
    with engine.begin() as conn:
        for n in range(3):
            conn.execute(
                sa.text(
                    "INSERT INTO audit_events (at, action, entity, entity_id, data) "
                    "VALUES (:at, 'org.create', 'parks', :n, :data)"
                ),
                {
                    "at": (old + timedelta(minutes=n)).replace(tzinfo=None)
                    if empty_db_url.startswith("sqlite")
                    else old + timedelta(minutes=n),
                    "n": n,
                    "data": f'{{"code": "p{n}", "n": [1, 2.5]}}',
                },
            )
    engine.dispose()
    upgrade(empty_db_url)
    database = Database(empty_db_url)
    try:
        verdict = database.call(audit.verify)
        assert verdict.broken is None and verdict.count == 3
        database.call(audit.record, actor_id=None, action="x", entity="parks", entity_id=1)
        verdict = database.call(audit.verify)
        assert verdict.broken is None and verdict.count == 4
    finally:
        database.dispose()
    command.downgrade(alembic_config(empty_db_url), "0003")


def test_concurrent_appenders_do_not_fork_the_chain(db: Database) -> None:
    # Each thread appends in its own transaction, many at once; the chain stays one line.
    def append(n: int) -> None:
        for i in range(5):
            db.call(audit.record, actor_id=None, action="x", entity="t", entity_id=n * 10 + i)

    before = len(events(db))
    threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(events(db)) == before + 20
    verdict = db.call(audit.verify)
    assert verdict.broken is None and verdict.count == before + 20


def test_events_of_a_rolled_back_savepoint_leave_no_hole(db: Database) -> None:
    before = len(events(db))

    def work(session: Session) -> None:
        audit.record(session, actor_id=None, action="kept.flushed", entity="t", entity_id=1)
        session.flush()  # sent unsealed; the commit seals it in place
        savepoint = session.begin_nested()
        audit.record(session, actor_id=None, action="dropped", entity="t", entity_id=2)
        session.flush()
        savepoint.rollback()
        audit.record(session, actor_id=None, action="kept.pending", entity="t", entity_id=3)

    db.call(work)
    added = events(db)[before:]
    assert [(e.action, e.seq) for e in added] == [
        ("kept.flushed", before + 1),
        ("kept.pending", before + 2),
    ]
    verdict = db.call(audit.verify)
    assert verdict.broken is None and verdict.count == before + 2
