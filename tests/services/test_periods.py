"""Periods as users type them, their local-day bounds and the assessment halves they touch."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from services import periods
from services.errors import InvalidInput
from services.periods import PeriodKind

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "kind", "start", "end", "code"),
    [
        ("2026-10", PeriodKind.MONTH, date(2026, 10, 1), date(2026, 11, 1), "2026-10"),
        ("2026-2", PeriodKind.MONTH, date(2026, 2, 1), date(2026, 3, 1), "2026-02"),
        ("2026-12", PeriodKind.MONTH, date(2026, 12, 1), date(2027, 1, 1), "2026-12"),
        ("2026H1", PeriodKind.HALF, date(2026, 1, 1), date(2026, 7, 1), "2026H1"),
        ("2026h2", PeriodKind.HALF, date(2026, 7, 1), date(2027, 1, 1), "2026H2"),
        ("2026", PeriodKind.YEAR, date(2026, 1, 1), date(2027, 1, 1), "2026"),
        (
            "2026-10-01..2026-10-31",
            PeriodKind.RANGE,
            date(2026, 10, 1),
            date(2026, 11, 1),
            "2026-10-01..2026-10-31",
        ),
        (" 2026-9-5~2026-9-5 ", PeriodKind.RANGE, date(2026, 9, 5), date(2026, 9, 6), None),
    ],
)
def test_typed_periods(text: str, kind: PeriodKind, start: date, end: date, code: str | None):
    period = periods.parse(text)
    assert (period.kind, period.start, period.end) == (kind, start, end)
    if code:
        assert period.code == code
        assert periods.parse(period.code) == period


@pytest.mark.parametrize(
    "text", ["", "2026-13", "2026H3", "26", "last month", "2026-02-30..2026-03-01", "2026-0"]
)
def test_what_is_not_a_period_is_refused_with_the_forms(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        periods.parse(text)
    assert "2026H1" in refused.value.msgid


def test_backwards_and_endless_ranges_are_refused() -> None:
    with pytest.raises(InvalidInput, match="ends before"):
        periods.parse("2026-10-31..2026-10-01")
    with pytest.raises(InvalidInput, match="three years"):
        periods.parse("2020-01-01..2026-01-01")


def test_bounds_are_local_midnights_in_utc() -> None:
    start, end = periods.parse("2026-10").bounds(SHANGHAI)
    assert start == datetime(2026, 9, 30, 16, tzinfo=UTC)
    assert end == datetime(2026, 10, 31, 16, tzinfo=UTC)


def test_halves_touched() -> None:
    assert periods.parse("2026").halves() == [(2026, 1), (2026, 2)]
    assert periods.parse("2026-07").halves() == [(2026, 2)]
    assert periods.parse("2026-06-15..2027-01-02").halves() == [(2026, 1), (2026, 2), (2027, 1)]


def test_current_and_previous() -> None:
    today = date(2026, 1, 3)
    assert periods.current(PeriodKind.MONTH, today).code == "2026-01"
    assert periods.previous(periods.current(PeriodKind.MONTH, today)).code == "2025-12"
    assert periods.previous(periods.parse("2026H1")).code == "2025H2"
    assert periods.previous(periods.parse("2026H2")).code == "2026H1"
    assert periods.previous(periods.parse("2026")).code == "2025"
    week = periods.parse("2026-10-08..2026-10-14")
    assert periods.previous(week).code == "2026-10-01..2026-10-07"
