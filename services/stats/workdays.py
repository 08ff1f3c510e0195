"""Working days between two instants, for many pairs at once (the calendar's rules, faster)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from scheduler.calendar import WorkCalendar

DAY = 86_400.0


class WorkdayCounter:
    """calendar.working_time(start, end) in days, with each day's answer looked up once.

    WorkCalendar walks every day between the two instants; over a hundred thousand
    assignments that is millions of steps. Here a running count of working days per local
    date turns each pair into two look-ups. Local days are taken as 24 hours long, as they
    are in China (no daylight saving time)."""

    def __init__(self, calendar: WorkCalendar) -> None:
        self.calendar = calendar
        self.zone = calendar.zone
        self._first: date | None = None
        self._before: list[int] = [0]  # working days in [first, first + i)

    def _prefix(self, day: date) -> int:
        """Working days from the first known date up to (not including) ``day``."""
        if self._first is None:
            self._first = day
        if day < self._first:
            self._extend_back(day)
        assert self._first is not None
        offset = (day - self._first).days
        while len(self._before) <= offset:
            known = self._first + timedelta(days=len(self._before) - 1)
            self._before.append(self._before[-1] + self.calendar.is_workday(known))
        return self._before[offset]

    def _extend_back(self, day: date) -> None:
        assert self._first is not None
        extra = [
            self.calendar.is_workday(day + timedelta(days=i))
            for i in range(self._first.toordinal() - day.toordinal())
        ]
        running = [0]
        for worked in extra:
            running.append(running[-1] + worked)
        self._before = running + [n + running[-1] for n in self._before[1:]]
        self._first = day

    def days(self, start: datetime, end: datetime) -> float:
        """Working days in [start, end): whole working days plus the parts of the first/last."""
        if end <= start:
            return 0.0
        local_start, local_end = start.astimezone(self.zone), end.astimezone(self.zone)
        first, last = local_start.date(), local_end.date()
        into_first = _seconds_into(local_start) / DAY
        into_last = _seconds_into(local_end) / DAY
        # The earlier day first: looking it up may move the table's start back.
        before_first = self._prefix(first)
        whole = self._prefix(last) - before_first  # working days in [first, last)
        total = whole - (into_first if self.calendar.is_workday(first) else 0.0)
        return total + (into_last if self.calendar.is_workday(last) else 0.0)

    def total(self, pairs: Iterable[tuple[datetime, datetime]]) -> float:
        return sum(self.days(start, end) for start, end in pairs)


def _seconds_into(moment: datetime) -> float:
    return moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6
