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
