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


def test_upgrade_to_head_gives_the_models_schema(db_url: str) -> None:
    assert table_names(db_url) == set()
    upgrade(db_url)
    assert current_revision(db_url) == head_revision(db_url)
    assert table_names(db_url) == set(SQLModel.metadata.tables) | {"alembic_version"}
    assert schema_differences(db_url) == []


def test_the_comparison_notices_a_drift(db_url: str) -> None:
    # Guards the test above: a column the migrations lack must show up as a difference.
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE parks ADD COLUMN stray INTEGER"))
    finally:
        engine.dispose()
    differences = schema_differences(db_url)
    assert any("stray" in repr(diff) for diff in differences)


def test_downgrade_to_base_and_upgrade_again(db_url: str) -> None:
    upgrade(db_url)
    command.downgrade(alembic_config(db_url), "base")
    assert current_revision(db_url) is None
    assert table_names(db_url) <= {"alembic_version"}
    upgrade(db_url)
    assert current_revision(db_url) == head_revision(db_url)
    assert schema_differences(db_url) == []


def test_the_sweep_queries_have_indexes(db_url: str) -> None:
    # The sweeps select by status and due time; without these, each sweep scans history.
    upgrade(db_url)
    engine = make_engine(db_url)
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
