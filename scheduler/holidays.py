"""Which years the holiday schedule knows, and each year's days off and make-up days by source."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

import chinese_calendar

Source = Literal["package", "settings"]

# The windows every statutory festival's days off fall in (including in-lieu weekdays), so that
# settings are only taken to cover a year when they list all of it, not just New Year's Day.
FESTIVAL_WINDOWS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "New Year's Day": ((1, 1), (1, 3)),
    "Spring Festival": ((1, 20), (2, 25)),
    "Tomb-sweeping Day": ((4, 3), (4, 7)),
    "Labour Day": ((4, 29), (5, 5)),
    "Dragon Boat Festival": ((5, 27), (6, 27)),
    "Mid-autumn Festival": ((9, 6), (10, 8)),
    "National Day": ((10, 1), (10, 8)),
}

_PACKAGE_FIRST = min(chinese_calendar.holidays).year
_PACKAGE_LAST = max(chinese_calendar.holidays).year


def package_years() -> range:
    """The years chinese_calendar has the State Council's schedule for."""
    return range(_PACKAGE_FIRST, _PACKAGE_LAST + 1)


@dataclass(frozen=True, slots=True)
class Coverage:
    """Whether a year's holidays are known, from where, and which festivals settings lack."""

    year: int
    source: Source | None
    missing: tuple[str, ...] = ()

    @property
    def covered(self) -> bool:
        return self.source is not None


def festivals_missing(year: int, holidays: Iterable[date]) -> tuple[str, ...]:
    """The statutory festivals of ``year`` with no day listed in ``holidays``."""
    listed = [d for d in holidays if d.year == year]
    missing = []
    for name, (first, last) in FESTIVAL_WINDOWS.items():
        start, end = date(year, *first), date(year, *last)
        if not any(start <= d <= end for d in listed):
            missing.append(name)
    return tuple(missing)


def coverage(year: int, extra_holidays: Iterable[date] = ()) -> Coverage:
    """Whether ``year`` is covered by the package or by every festival listed in settings."""
    if year in package_years():
        return Coverage(year, "package")
    missing = festivals_missing(year, extra_holidays)
    return Coverage(year, None if missing else "settings", missing)


@dataclass(frozen=True, slots=True)
class ScheduledDay:
    """A day that departs from Monday-to-Friday: a day off or a make-up working day (调休)."""

    day: date
    workday: bool
    source: Source
    name: str | None = None  # the festival, when the package names one
    overrides_package: bool = False


def _package_days(year: int) -> dict[date, tuple[bool, str]]:
    if year not in package_years():
        return {}
    days: dict[date, tuple[bool, str]] = {}
    for table, workday in ((chinese_calendar.holidays, False), (chinese_calendar.workdays, True)):
        for day, name in table.items():
            if day.year == year:
                days[day] = (workday, name)
    return days


def year_schedule(
    year: int, extra_holidays: Iterable[date] = (), extra_workdays: Iterable[date] = ()
) -> list[ScheduledDay]:
    """Every holiday and make-up working day of ``year`` in date order, settings over package."""
    package = _package_days(year)
    result: dict[date, ScheduledDay] = {
        day: ScheduledDay(day, workday, "package", name) for day, (workday, name) in package.items()
    }
    for days, workday in ((extra_holidays, False), (extra_workdays, True)):
        for day in days:
            if day.year != year:
                continue
            known = package.get(day)
            result[day] = ScheduledDay(
                day,
                workday,
                "settings",
                known[1] if known else None,
                overrides_package=known is not None and known[0] != workday,
            )
    return [result[d] for d in sorted(result)]


def chinese_name(english: str | None) -> str | None:
    """The festival's Chinese name as the package has it."""
    for holiday in chinese_calendar.Holiday:
        if holiday.value == english:
            return holiday.chinese
    return None
