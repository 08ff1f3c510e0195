"""Reporting and assessment periods: a month, a half-year, a year or a range of dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.i18n import N_
from services.errors import InvalidInput

# A period longer than this is almost certainly a typo (2026-01-01..2062-01-01).
MAX_RANGE_DAYS = 3 * 366

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_HALF = re.compile(r"^(\d{4})[Hh]([12])$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})(?:\.\.|~|/)(\d{4}-\d{1,2}-\d{1,2})$")
USAGE = N_(
    "Period: a month 2026-10, a half-year 2026H1, a year 2026, or dates 2026-10-01..2026-10-31"
)


class PeriodKind(StrEnum):
    MONTH = "month"
    HALF = "half"
    YEAR = "year"
    RANGE = "range"


@dataclass(frozen=True)
class Period:
    """Local calendar days [start, end): end is the first day after the period."""

    kind: PeriodKind
    start: date
    end: date

    @property
    def code(self) -> str:
        """The period as typed: 2026-10, 2026H1, 2026, 2026-10-01..2026-10-31."""
        if self.kind == PeriodKind.MONTH:
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == PeriodKind.HALF:
            return f"{self.start.year}H{1 if self.start.month == 1 else 2}"
        if self.kind == PeriodKind.YEAR:
            return str(self.start.year)
        return f"{self.start.isoformat()}..{self.last.isoformat()}"

    @property
    def last(self) -> date:
        """The last day inside the period."""
        return self.end - timedelta(days=1)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The period's [start, end) as UTC instants, midnight to midnight in the zone."""
        return _utc(self.start, zone), _utc(self.end, zone)

    def halves(self) -> list[tuple[int, int]]:
        """The (year, half) assessment halves the period touches, in order."""
        found: list[tuple[int, int]] = []
        day = date(self.start.year, 1 if self.start.month <= 6 else 7, 1)
        while day < self.end:
            found.append((day.year, 1 if day.month == 1 else 2))
            day = date(day.year, 7, 1) if day.month == 1 else date(day.year + 1, 1, 1)
        return found

    def is_assessment(self) -> bool:
        """Half-years and years are assessment periods; deductions count whole halves."""
        return self.kind in (PeriodKind.HALF, PeriodKind.YEAR)


def _utc(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def month(year: int, number: int) -> Period:
    end = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
    return Period(PeriodKind.MONTH, date(year, number, 1), end)


def half(year: int, number: int) -> Period:
    if number == 1:
        return Period(PeriodKind.HALF, date(year, 1, 1), date(year, 7, 1))
    return Period(PeriodKind.HALF, date(year, 7, 1), date(year + 1, 1, 1))


def year(number: int) -> Period:
    return Period(PeriodKind.YEAR, date(number, 1, 1), date(number + 1, 1, 1))


def current(kind: PeriodKind, today: date) -> Period:
    """The month, half-year or year that contains today."""
    if kind == PeriodKind.MONTH:
        return month(today.year, today.month)
    if kind == PeriodKind.HALF:
        return half(today.year, 1 if today.month <= 6 else 2)
    return year(today.year)


def previous(period: Period) -> Period:
    """The month, half-year or year just before this one (a range: the same length before)."""
    day = period.start - timedelta(days=1)
    if period.kind == PeriodKind.RANGE:
        length = period.end - period.start
        return Period(PeriodKind.RANGE, period.start - length, period.start)
    return current(period.kind, day)


def parse(text: str) -> Period:
    """A period as a user types it; InvalidInput (with the accepted forms) otherwise."""
    text = text.strip()
    try:
        if found := _MONTH.match(text):
            return month(int(found[1]), int(found[2]))
        if found := _HALF.match(text):
            return half(int(found[1]), int(found[2]))
        if found := _YEAR.match(text):
            return year(int(found[1]))
        if found := _RANGE.match(text):
            first, last = (date.fromisoformat(_padded(part)) for part in (found[1], found[2]))
            return _range(first, last)
    except ValueError:  # month 13, day 31 of a 30-day month, year 0
        pass
    raise InvalidInput(USAGE)


def _padded(text: str) -> str:
    y, m, d = text.split("-")
    return f"{y}-{int(m):02d}-{int(d):02d}"


def _range(first: date, last: date) -> Period:
    if last < first:
        raise InvalidInput("The period ends before it starts.")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise InvalidInput("A period can be at most three years long.")
    return Period(PeriodKind.RANGE, first, last + timedelta(days=1))
