"""Fixtures for the scheduling tests."""

from __future__ import annotations

import pytest

from scheduler.calendar import WorkCalendar


@pytest.fixture
def cal() -> WorkCalendar:
    """The working-day calendar with the bundled holidays."""
    return WorkCalendar()
