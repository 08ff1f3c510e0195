"""The demo people (liaisons, heads, dispatcher, supervisor) in a migrated database."""

from __future__ import annotations

import pytest

from bot.db import Database
from services.demo import seed_demo


@pytest.fixture
def world(db: Database) -> Database:
    db.call(seed_demo)
    return db
