"""Shared fixtures for the whole test suite."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pgserver import PgServer, require_pg_bin

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
