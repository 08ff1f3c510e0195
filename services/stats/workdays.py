"""Working days between many pairs of instants at once: the calendar's rules, vectorised."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import numpy as np
from numpy.typing import NDArray

from scheduler.calendar import WorkCalendar

DAY = 86_400.0
Seconds = NDArray[np.float64]  # instants as seconds since the epoch (UTC)


def working_days(calendar: WorkCalendar, starts: Seconds, ends: Seconds) -> Seconds:
    """calendar.working_time(start, end) in days for each pair (0 when end is not after start).

    WorkCalendar walks every day between two instants; over a hundred thousand assignments
    that is millions of Python steps. Here the working time before each local midnight is
    tabulated once over the span the pairs cover, and every instant is looked up in it."""
    if len(starts) == 0:
        return np.zeros(0)
    zone = calendar.zone
    first = datetime.fromtimestamp(float(min(starts.min(), ends.min())), UTC).astimezone(zone)
    last = datetime.fromtimestamp(float(max(starts.max(), ends.max())), UTC).astimezone(zone)
    days = [first.date() + timedelta(days=i) for i in range((last.date() - first.date()).days + 2)]
    # Local midnights as instants: a day is 23 or 25 hours long where clocks change.
    bounds = np.array([datetime.combine(d, time(), tzinfo=zone).timestamp() for d in days])
    worked = np.array([calendar.is_workday(d) for d in days[:-1]], dtype=np.float64)
    before = np.concatenate(([0.0], np.cumsum(worked * np.diff(bounds))))

    def until(moments: Seconds) -> Seconds:
        """Working seconds from the table's start up to each instant."""
        day = np.searchsorted(bounds, moments, side="right") - 1
        return before[day] + worked[day] * (moments - bounds[day])

    return np.maximum(until(ends) - until(starts), 0.0) / DAY


def day_table(calendar: WorkCalendar, first: float, last: float) -> DayTable | None:
    """Per local day from ``first`` to ``last``: (start, working seconds before it, worked),
    seconds counted from the first day's midnight; None when the zone's days are not all 24
    hours long (then a day cannot be found by dividing by 86,400)."""
    zone = calendar.zone
    start = datetime.fromtimestamp(first, UTC).astimezone(zone).date()
    stop = datetime.fromtimestamp(last, UTC).astimezone(zone).date()
    days = [start + timedelta(days=i) for i in range((stop - start).days + 2)]
    bounds = np.array([datetime.combine(d, time(), tzinfo=zone).timestamp() for d in days])
    if not np.all(np.diff(bounds) == DAY):
        return None
    worked = np.array([calendar.is_workday(d) for d in days[:-1]], dtype=np.float64)
    before = np.concatenate(([0.0], np.cumsum(worked * DAY)))[:-1]
    return DayTable(float(bounds[0]), before, worked)


class DayTable:
    """Local days of a fixed-offset zone: the first midnight (epoch seconds), and per day the
    working seconds before it and whether it is worked (0 or 1)."""

    def __init__(self, origin: float, before: Seconds, worked: Seconds) -> None:
        self.origin, self.before, self.worked = origin, before, worked

    def rows(self) -> list[dict[str, float]]:
        """Each day's index i, working seconds before it b, and whether it is worked w."""
        pairs = zip(self.before.tolist(), self.worked.tolist(), strict=True)
        return [{"i": i, "b": b, "w": w} for i, (b, w) in enumerate(pairs)]
