"""Shared fixtures for the whole test suite."""

from __future__ import annotations

import itertools
import logging
import os
import re
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from bot.db import Database, upgrade
from bot.settings import Settings
from services.org import sync_organisation
from services.rules import Rules
from tests.factories import seeded_demo
from tests.pgserver import PgServer, require_pg_bin
from tests.rules import RULES

# ======================================================================================
# Databases (tests/pgserver.py for PostgreSQL): pg_server, pg_url, empty_db_url, db_url, db
#
# pg_server     one real PostgreSQL server per test process (per xdist worker), started only
#               when a test asks for it; skipped without server binaries, failed when CI is set
# pg_url        a fresh, empty PostgreSQL database for this test (dropped afterwards)
# empty_db_url  parametrized: an empty database, on SQLite and on PostgreSQL (for migrations)
# db_url        parametrized: a database migrated to head, on SQLite and on PostgreSQL; a copy
#               of one migrated once per process, so a test pays for a file copy (SQLite) or a
#               CREATE DATABASE … TEMPLATE (PostgreSQL), not for nine migrations
# db            a bot.db.Database on db_url with the organisation from settings.toml synced
# sqlite_db     the same on SQLite alone, for tests whose subject cannot differ by dialect
#               (see "Which tests run on both databases" in docs/testing.md)
# ======================================================================================

_pg_database_numbers = itertools.count(1)
_PG_TEMPLATE = "duban_migrated_template"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One PostgreSQL server for the run; skipped (or failed on CI) without binaries."""
    server = PgServer(require_pg_bin()).start()
    yield server
    server.stop()


def _pg_database_name(request: pytest.FixtureRequest) -> str:
    # The test's name in the database's name helps when reading the server log.
    slug = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower()).strip("_")
    return f"t{next(_pg_database_numbers)}_{slug}"[:63]


@pytest.fixture
def pg_url(pg_server: PgServer, request: pytest.FixtureRequest) -> Iterator[str]:
    """A new, uniquely named, empty PostgreSQL database for this test."""
    name = _pg_database_name(request)
    url = pg_server.create_database(name)
    yield url
    pg_server.drop_database(name)


@pytest.fixture(scope="session")
def _pg_migrated_template(pg_server: PgServer) -> str:
    """A PostgreSQL database migrated to head, only ever copied (never connected to by tests)."""
    upgrade(pg_server.create_database(_PG_TEMPLATE))
    return _PG_TEMPLATE


@pytest.fixture
def pg_migrated_url(
    pg_server: PgServer, _pg_migrated_template: str, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A new PostgreSQL database at head: a copy of the migrated template."""
    name = _pg_database_name(request)
    url = pg_server.create_database(name, template=_pg_migrated_template)
    yield url
    pg_server.drop_database(name)


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head, copied for each test that asks for ``db_url``."""
    path = tmp_path_factory.mktemp("migrated") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def _sqlite_copy(template: Path, target: Path) -> str:
    """Make ``target`` a copy of the migrated SQLite file; its URL."""
    source, copy = sqlite3.connect(template), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
    return f"sqlite:///{target}"


_BOTH = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(params=_BOTH)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database's URL, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/test.db"
    return request.getfixturevalue("pg_url")


@pytest.fixture(params=_BOTH)
def db_url(request: pytest.FixtureRequest) -> str:
    """A database migrated to head (no rows), once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_migrated_url")


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A SQLite database migrated to head (no rows)."""
    return _sqlite_copy(request.getfixturevalue("_migrated_sqlite"), tmp_path / "test.db")


# ======================================================================================
# Settings and database (tests/bot/test_settings.py and most database tests):
# settings_factory, db, sqlite_db, session
#
# settings_factory  Settings from the repository's settings.toml plus init kwargs
#                   (nested dicts merge into their section); no .env, no stray DUBAN_*.
# session           a plain SQLModel Session on ``db``, for arranging and asserting.
# ======================================================================================

REPO_ROOT = Path(__file__).resolve().parent.parent
REPO_SETTINGS = REPO_ROOT / "settings.toml"


@pytest.fixture
def settings_factory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Settings]:
    """Build Settings from the repo's settings.toml, isolated from the developer's environment."""
    # A developer's DUBAN_TELEGRAM__TOKEN or DUBAN_DATABASE__URL must not leak into tests.
    for name in list(os.environ):
        if name.upper().startswith("DUBAN_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DUBAN_SETTINGS", str(REPO_SETTINGS))

    def build(**overrides: Any) -> Settings:
        overrides.setdefault("database", {"url": f"sqlite:///{tmp_path}/settings.db"})
        # _env_file=None: a .env in the working directory is the developer's, not the test's.
        return Settings(_env_file=None, **overrides)  # type: ignore[call-arg]

    return build


def _organised(url: str, settings_factory: Callable[..., Settings]) -> Database:
    """A Database on a migrated ``url`` with the organisation from settings.toml synced."""
    org = settings_factory(database={"url": url}).organisation
    database = Database(url)
    database.call(sync_organisation, parks=org.parks, departments=org.departments)
    return database


@pytest.fixture
def db(db_url: str, settings_factory: Callable[..., Settings]) -> Iterator[Database]:
    """A migrated database (SQLite and PostgreSQL) with the organisation from settings.toml."""
    database = _organised(db_url, settings_factory)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(sqlite_url: str, settings_factory: Callable[..., Settings]) -> Iterator[Database]:
    """``db`` on SQLite alone."""
    database = _organised(sqlite_url, settings_factory)
    yield database
    database.dispose()


@pytest.fixture
def demo(db: Database) -> Database:
    """``db`` seeded with the demo's enterprises, projects and people (tests/factories.py)."""
    return seeded_demo(db)


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    """A plain Session on ``db``; ``session.rollback()`` refreshes it after others commit."""
    with Session(db.engine) as plain:
        yield plain


# ======================================================================================
# end of the settings and database section
# ======================================================================================


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Put back what ``duban``'s commands change process-wide (bot/cli.setup_logging).

    A command run in a test installs a root handler on the stderr of that moment (a
    CliRunner's stream, closed afterwards) and its own excepthooks; the next test in the same
    process, in whatever order xdist gives, must not log into that closed stream.
    """
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    hooks = sys.excepthook, threading.excepthook
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    sys.excepthook, threading.excepthook = hooks


@pytest.fixture
def rules() -> Rules:
    """The repository's rules with the real clock; ``rules.at(moment)`` stops the clock there."""
    return RULES


# ======================================================================================
# Which database a test runs on: @pytest.mark.dialects("sqlite", why="…")
#
# A test that takes ``db_url`` (or ``db``, ``demo``, ``session``…) runs on SQLite and on
# PostgreSQL. Where its subject cannot differ by dialect (plain ORM reads and writes, no
# locking, no SQL of its own, one writer at a time), the module or test says so with this
# marker, and the other dialect's run is deselected. ``why`` is required: the list of tests
# that run on one database, and why, is `pytest --collect-only -m "dialects"`.
# ======================================================================================

_DIALECT_FIXTURES = ("db_url", "empty_db_url")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept, dropped = [], []
    for item in items:
        marker = item.get_closest_marker("dialects")
        params = getattr(getattr(item, "callspec", None), "params", {})
        dialect = next((params[name] for name in _DIALECT_FIXTURES if name in params), None)
        if marker is not None:
            if not marker.kwargs.get("why"):
                raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.dialects needs why=")
            if dialect is not None and dialect not in marker.args:
                dropped.append(item)
                continue
        kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
