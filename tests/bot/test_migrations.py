"""The migration chain builds exactly the models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from bot.db import alembic_config, current_revision, make_engine, upgrade


def schema_differences(url: str) -> list[object]:
    """What autogenerate would still write: empty when migrations and models agree."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, SQLModel.metadata))
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def head_revision(url: str) -> str:
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert head is not None
    return head


def test_upgrade_to_head_gives_the_models_schema(empty_db_url: str) -> None:
    assert table_names(empty_db_url) == set()
    upgrade(empty_db_url)
    assert current_revision(empty_db_url) == head_revision(empty_db_url)
    assert table_names(empty_db_url) == set(SQLModel.metadata.tables) | {"alembic_version"}
    assert schema_differences(empty_db_url) == []


def test_the_comparison_notices_a_drift(empty_db_url: str) -> None:
    # Guards the test above: a column the migrations lack must show up as a difference.
    upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE parks ADD COLUMN stray INTEGER"))
    finally:
        engine.dispose()
    differences = schema_differences(empty_db_url)
    assert any("stray" in repr(diff) for diff in differences)


def test_downgrade_to_base_and_upgrade_again(empty_db_url: str) -> None:
    upgrade(empty_db_url)
    command.downgrade(alembic_config(empty_db_url), "base")
    assert current_revision(empty_db_url) is None
    assert table_names(empty_db_url) <= {"alembic_version"}
    upgrade(empty_db_url)
    assert current_revision(empty_db_url) == head_revision(empty_db_url)
    assert schema_differences(empty_db_url) == []


def test_the_sweep_queries_have_indexes(empty_db_url: str) -> None:
    # The sweeps select by status and due time; without these, each sweep scans history.
    upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    try:
        inspector = sa.inspect(engine)
        indexed = {
            (table, tuple(index["column_names"]))
            for table in ("outbox", "drafts")
            for index in inspector.get_indexes(table)
        }
    finally:
        engine.dispose()
    assert ("outbox", ("status", "next_attempt_at")) in indexed
    assert ("drafts", ("expires_at",)) in indexed


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def _execute(url: str, *statements: str, **params: object) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(sa.text(statement), params)
    finally:
        engine.dispose()


OUTBOX_ROW = (
    "INSERT INTO outbox (id, chat_id, template, text, dedupe_key, status, attempts, "
    "next_attempt_at, created_at, kind, parts_sent) VALUES ({id}, 5001, 'test.file', '', "
    "'{key}', 'pending', 0, '2026-11-02 01:00:00', '2026-11-02 01:00:00', 'photo', 0)"
)


def test_0007_keeps_every_queued_file_both_ways(empty_db_url: str) -> None:
    """Files queued before 0007 are still sent after it, and shared ones after a downgrade."""
    upgrade(empty_db_url, "0006")
    _execute(
        empty_db_url,
        OUTBOX_ROW.format(id=1, key="old:1"),
        "INSERT INTO outbox_files (outbox_id, filename, content) VALUES (1, 'a.png', :content)",
        content=b"AAA",
    )
    upgrade(empty_db_url, "0007")
    assert _rows(empty_db_url, "SELECT share_key, filename FROM outbox_files") == [
        ("old:1", "a.png")
    ]
    sends = (
        "SELECT o.id, f.filename, f.content FROM outbox o JOIN outbox_files f ON f.id = o.file_id"
    )
    assert [(i, n) for i, n, _c in _rows(empty_db_url, sends)] == [(1, "a.png")]
    # Two rows sharing one file, as a period report's readers of one language do.
    _execute(
        empty_db_url,
        OUTBOX_ROW.format(id=2, key="report:2026-10:user:7:file1"),
        OUTBOX_ROW.format(id=3, key="report:2026-10:user:8:file1"),
        "INSERT INTO outbox_files (id, share_key, filename, content) "
        "VALUES (100, 'report:2026-10:zh:file1', 'b.png', :content)",
        "UPDATE outbox SET file_id = 100 WHERE id IN (2, 3)",
        content=b"BBB",
    )
    assert len(_rows(empty_db_url, "SELECT id FROM outbox_files")) == 2
    command.downgrade(alembic_config(empty_db_url), "0006")
    files = "SELECT outbox_id, filename, content FROM outbox_files ORDER BY outbox_id"
    assert [(i, n, bytes(c)) for i, n, c in _rows(empty_db_url, files)] == [
        (1, "a.png", b"AAA"),
        (2, "b.png", b"BBB"),
        (3, "b.png", b"BBB"),
    ]
    upgrade(empty_db_url)
    assert schema_differences(empty_db_url) == []
    assert [(i, n, bytes(c)) for i, n, c in _rows(empty_db_url, sends + " ORDER BY o.id")] == [
        (1, "a.png", b"AAA"),
        (2, "b.png", b"BBB"),
        (3, "b.png", b"BBB"),
    ]
