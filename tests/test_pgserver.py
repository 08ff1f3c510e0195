"""The PostgreSQL test server: finding binaries, the skip/fail rule, and real round trips."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    inspect,
    select,
    text,
)

from tests import pgserver
from tests.pgserver import PgServer, PgServerError

# -- finding the binaries ---------------------------------------------------------------


def _fake_bin(directory: Path) -> Path:
    directory.mkdir(parents=True)
    for tool in ("initdb", "pg_ctl", "postgres"):
        script = directory / tool
        script.write_text("#!/bin/sh\n")
        script.chmod(0o755)
    return directory


def test_find_pg_bin_prefers_the_newest_debian_version(tmp_path: Path) -> None:
    root = tmp_path / "postgresql"
    _fake_bin(root / "9.6" / "bin")
    newest = _fake_bin(root / "16" / "bin")
    _fake_bin(root / "15" / "bin")
    (root / "17" / "bin").mkdir(parents=True)  # an incomplete install does not count
    assert pgserver.find_pg_bin(path=str(tmp_path / "empty"), debian_root=root) == newest


def test_find_pg_bin_prefers_path_and_follows_symlinks(tmp_path: Path) -> None:
    real = _fake_bin(tmp_path / "opt" / "pg" / "bin")
    local_bin = tmp_path / "local" / "bin"
    local_bin.mkdir(parents=True)
    (local_bin / "pg_ctl").symlink_to(real / "pg_ctl")
    debian = _fake_bin(tmp_path / "postgresql" / "16" / "bin").parent.parent
    assert pgserver.find_pg_bin(path=str(local_bin), debian_root=debian) == real


def test_find_pg_bin_ignores_a_lone_pg_ctl_on_path(tmp_path: Path) -> None:
    lone = tmp_path / "bin"
    lone.mkdir()
    (lone / "pg_ctl").write_text("#!/bin/sh\n")
    (lone / "pg_ctl").chmod(0o755)
    debian = _fake_bin(tmp_path / "postgresql" / "15" / "bin")
    assert pgserver.find_pg_bin(path=str(lone), debian_root=debian.parent.parent) == debian


def test_find_pg_bin_finds_nothing(tmp_path: Path) -> None:
    assert pgserver.find_pg_bin(path=str(tmp_path), debian_root=tmp_path / "none") is None


# -- skip locally, fail on CI ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "required"),
    [
        (None, False),
        ("", False),
        ("0", False),
        ("false", False),
        ("False", False),
        ("true", True),
        ("1", True),
        ("yes", True),
    ],
)
def test_ci_requires_postgres(value: str | None, required: bool) -> None:
    environ = {} if value is None else {"CI": value}
    assert pgserver.ci_requires_postgres(environ) is required


@pytest.mark.parametrize("ci", [None, "", "0", "false"])
def test_missing_binaries_skip_outside_ci(monkeypatch: pytest.MonkeyPatch, ci: str | None) -> None:
    monkeypatch.setattr(pgserver, "find_pg_bin", lambda: None)
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL server binaries not found"):
        pgserver.require_pg_bin()


@pytest.mark.parametrize("ci", ["true", "1"])
def test_missing_binaries_fail_on_ci(monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setattr(pgserver, "find_pg_bin", lambda: None)
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="CI requires PostgreSQL"):
        pgserver.require_pg_bin()


def test_present_binaries_are_returned(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(pgserver, "find_pg_bin", lambda: tmp_path)
    monkeypatch.setenv("CI", "true")
    assert pgserver.require_pg_bin() == tmp_path


def test_server_without_binaries_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pgserver, "find_pg_bin", lambda: None)
    with pytest.raises(PgServerError, match="binaries not found"):
        PgServer()


# -- the real server --------------------------------------------------------------------------


@pytest.mark.postgres
def test_server_settings(pg_server: PgServer) -> None:
    assert pg_server.url("x") == f"postgresql+psycopg://postgres@127.0.0.1:{pg_server.port}/x"
    with pg_server.connect() as conn:
        shown = {
            name: conn.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
            for name in ("listen_addresses", "fsync", "synchronous_commit", "full_page_writes")
        }
        assert shown == {
            "listen_addresses": "127.0.0.1",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        assert conn.execute("SELECT current_user").fetchone() == ("postgres",)
        encoding = conn.execute("SHOW server_encoding").fetchone()
        assert encoding == ("UTF8",)
    if os.geteuid() == 0:
        assert pg_server.data_dir.owner() == "postgres"


@pytest.mark.postgres
def test_aware_datetime_round_trip(pg_url: str) -> None:
    metadata = MetaData()
    events = Table(
        "events",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("title", String(100), nullable=False),
        Column("at", DateTime(timezone=True), nullable=False),
    )
    moments = [
        datetime(2026, 10, 8, 10, 0, tzinfo=UTC),
        datetime(2026, 10, 8, 18, 0, 30, 123456, tzinfo=ZoneInfo("Asia/Shanghai")),
    ]
    engine = create_engine(pg_url)
    try:
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(events.insert(), [{"title": "交办单", "at": moment} for moment in moments])
        with engine.connect() as conn:
            rows = conn.execute(select(events.c.title, events.c.at).order_by(events.c.id)).all()
    finally:
        engine.dispose()
    assert [row.at for row in rows] == moments
    assert all(row.at.utcoffset() is not None for row in rows)
    assert rows[0].title == "交办单"


@pytest.mark.postgres
def test_databases_are_isolated(pg_server: PgServer) -> None:
    names = [f"iso_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    engines = [create_engine(pg_server.create_database(name)) for name in names]
    try:
        with engines[0].begin() as conn:
            conn.execute(text("CREATE TABLE only_here (n integer)"))
            conn.execute(text("INSERT INTO only_here VALUES (1)"))
        assert inspect(engines[0]).get_table_names() == ["only_here"]
        assert inspect(engines[1]).get_table_names() == []
        with engines[1].connect() as conn:
            assert conn.execute(text("SELECT current_database()")).scalar() == names[1]
    finally:
        for engine in engines:
            engine.dispose()
        for name in names:
            pg_server.drop_database(name)


@pytest.mark.postgres
def test_pg_url_is_a_fresh_database(pg_url: str, pg_server: PgServer) -> None:
    engine = create_engine(pg_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
    assert pg_url.startswith(pg_server.url(""))


def test_db_url_works_on_both_backends(db_url: str, tmp_path: Path) -> None:
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (n integer)"))
            conn.execute(text("INSERT INTO t VALUES (7)"))
            assert conn.execute(text("SELECT n FROM t")).scalar() == 7
    finally:
        engine.dispose()
    if db_url.startswith("sqlite"):
        assert db_url == f"sqlite:///{tmp_path}/test.db"
    else:
        assert db_url.startswith("postgresql+psycopg://postgres@127.0.0.1:")


@pytest.mark.postgres
def test_bad_database_names_are_refused(pg_server: PgServer) -> None:
    with pytest.raises(ValueError, match="database name"):
        pg_server.create_database('x"; DROP DATABASE postgres; --')


@pytest.mark.postgres
def test_stop_removes_everything() -> None:
    with PgServer(pgserver.require_pg_bin()) as server:
        root, port = server.root, server.port
        assert root is not None and root.is_dir()
        with server.connect() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    assert not root.exists()
    assert server.port is None
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(host="127.0.0.1", port=port, user="postgres", connect_timeout=2)
    server.stop()  # a second stop is harmless


@pytest.mark.postgres
def test_failed_start_reports_the_log_and_cleans_up() -> None:
    server = PgServer(pgserver.require_pg_bin(), settings={"shared_buffers": "plenty"})
    with pytest.raises(PgServerError) as caught:
        server.start()
    message = str(caught.value)
    assert "did not start" in message
    assert "shared_buffers" in message  # from postgres's own log
    assert server.root is None and server.port is None
