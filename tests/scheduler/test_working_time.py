"""Working-day time between instants and after an instant: the measure pauses use."""

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.calendar import WorkCalendar
from tests.factories import NEW_YORK, at

H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (at(2026, 3, 9), at(2026, 3, 11, 18), 56),  # Mon 14h + Tue 24h + Wed 18h
        (at(2026, 3, 6), at(2026, 3, 9), 24),  # Fri 14h + Mon 10h, the weekend counts nothing
        (at(2026, 3, 7), at(2026, 3, 8, 23), 0),  # Saturday to Sunday
        (at(2026, 9, 30), at(2026, 10, 8), 24),  # over the whole National Day week
        (at(2026, 9, 30), at(2026, 10, 10), 72),  # ...and into the make-up Saturday
        (at(2026, 2, 13, 12), at(2026, 2, 24, 12), 48),  # Spring Festival, make-up 14 Feb
        (at(2026, 12, 31, 12), at(2027, 1, 4, 12), 48),  # uncovered 2027: Fri 1 Jan counts
        (at(2026, 3, 9), at(2026, 3, 9), 0),
        (at(2026, 3, 10), at(2026, 3, 9), 0),  # backwards is nothing
    ],
)
def test_working_time(cal: WorkCalendar, start: datetime, end: datetime, hours: int) -> None:
    assert cal.working_time(start, end) == hours * H


@pytest.mark.parametrize(
    ("start", "hours", "end"),
    [
        (at(2026, 3, 11, 18), 24, at(2026, 3, 12, 18)),
        (at(2026, 3, 13, 18), 24, at(2026, 3, 16, 18)),  # Friday evening to Monday evening
        (at(2026, 9, 30, 18), 24, at(2026, 10, 8, 18)),  # National Day is skipped
        (at(2026, 9, 30, 18), 72, at(2026, 10, 10, 18)),  # the make-up Saturday counts
        (at(2026, 10, 3, 12), 1, at(2026, 10, 8, 1)),  # starting on the holiday
        (at(2026, 2, 13, 18), 31, at(2026, 2, 24, 1)),  # Fri 6h, make-up Sat 24h, Tue 1h
        (at(2026, 3, 11, 18), 0, at(2026, 3, 11, 18)),
    ],
)
def test_after_working_time(cal: WorkCalendar, start: datetime, hours: int, end: datetime) -> None:
    assert cal.after_working_time(start, hours * H) == end


def test_after_working_time_inverts_working_time(cal: WorkCalendar) -> None:
    start = at(2026, 9, 18, 7)
    for step in range(0, 24 * 40, 7):
        end = cal.after_working_time(start, step * H)
        assert cal.working_time(start, end) == step * H


def test_new_york_across_the_spring_dst_change() -> None:
    cal = WorkCalendar(tz="America/New_York")
    friday, monday = at(2026, 3, 6, 10, zone=NEW_YORK), at(2026, 3, 9, 10, zone=NEW_YORK)
    assert monday - friday == 71 * H  # the clocks went forward on Sunday 8 March
    assert cal.working_time(friday, monday) == 24 * H
    evening = at(2026, 3, 6, 18, zone=NEW_YORK)
    assert cal.after_working_time(evening, 24 * H) == at(2026, 3, 9, 18, zone=NEW_YORK)


def test_new_york_across_the_autumn_dst_change() -> None:
    cal = WorkCalendar(tz="America/New_York")
    friday, monday = at(2026, 10, 30, 10, zone=NEW_YORK), at(2026, 11, 2, 10, zone=NEW_YORK)
    assert monday - friday == 73 * H
    assert cal.working_time(friday, monday) == 24 * H


def test_working_time_counts_local_days_not_utc_days() -> None:
    utc = WorkCalendar(tz="UTC")
    shanghai = WorkCalendar()
    # Friday 20:00 UTC to Saturday 04:00 UTC is Saturday all the way in Shanghai.
    start = datetime(2026, 3, 6, 20, tzinfo=UTC)
    end = datetime(2026, 3, 7, 4, tzinfo=UTC)
    assert utc.working_time(start, end) == 4 * H
    assert shanghai.working_time(start, end) == timedelta(0)
