"""Shared fixtures for the whole test suite."""

from __future__ import annotations

import itertools
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import Session

from bot.db import Database, upgrade
from bot.settings import Settings
from services.org import sync_organisation
from services.rules import Rules
from tests.factories import seeded_demo
from tests.pgserver import PgServer, require_pg_bin
from tests.rules import RULES

# ======================================================================================
# PostgreSQL (tests/pgserver.py): pg_server, pg_url, db_url
#
# pg_server  one real server for the whole run, started only when a test asks for it
# pg_url     a fresh, empty database per test (dropped afterwards); its SQLAlchemy URL
# db_url     parametrized: the same test on a SQLite file and on PostgreSQL
# Without server binaries the PostgreSQL cases are skipped, or fail when CI is set.
# ======================================================================================

_pg_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One PostgreSQL server for the run; skipped (or failed on CI) without binaries."""
    server = PgServer(require_pg_bin()).start()
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer, request: pytest.FixtureRequest) -> Iterator[str]:
    """A new, uniquely named, empty PostgreSQL database for this test."""
    # The test's name in the database's name helps when reading the server log.
    slug = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower()).strip("_")
    name = f"t{next(_pg_database_numbers)}_{slug}"[:63]
    url = pg_server.create_database(name)
    yield url
    pg_server.drop_database(name)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/test.db"
    return request.getfixturevalue("pg_url")


# ======================================================================================
# end of the PostgreSQL section
# ======================================================================================


# ======================================================================================
# Settings and database (tests/bot/test_settings.py and most database tests):
# settings_factory, db, session
#
# settings_factory  Settings from the repository's settings.toml plus init kwargs
#                   (nested dicts merge into their section); no .env, no stray DUBAN_*.
# db                a bot.db.Database on db_url, migrated to head, organisation synced.
#                   SQLite is migrated once per run and copied for each test.
# session           a plain SQLModel Session on that database, for arranging and asserting.
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


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head, copied for each test that asks for ``db``."""
    path = tmp_path_factory.mktemp("migrated") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def _copy_migrated_sqlite(request: pytest.FixtureRequest, url: str) -> None:
    """Make the SQLite file at ``url`` a copy of the migrated one (faster than migrating)."""
    target = make_url(url).database
    assert target
    template = request.getfixturevalue("_migrated_sqlite")
    source, copy = sqlite3.connect(template), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()


@pytest.fixture
def db(
    db_url: str, settings_factory: Callable[..., Settings], request: pytest.FixtureRequest
) -> Iterator[Database]:
    """A migrated database (SQLite and PostgreSQL) with the organisation from settings.toml."""
    settings = settings_factory(database={"url": db_url})
    # On PostgreSQL, CREATE DATABASE ... TEMPLATE costs as much as migrating, so it migrates.
    if db_url.startswith("sqlite"):
        _copy_migrated_sqlite(request, db_url)
    upgrade(db_url)  # a copy is at head already: then this only checks
    database = Database(db_url)
    org = settings.organisation
    database.call(sync_organisation, parks=org.parks, departments=org.departments)
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


@pytest.fixture
def rules() -> Rules:
    """The repository's rules with the real clock; ``rules.at(moment)`` stops the clock there."""
    return RULES
