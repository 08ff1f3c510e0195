"""Which years the calendar knows, warnings for the others, typed deadline errors."""

import logging
from datetime import UTC, date, datetime

import chinese_calendar
import pytest

from scheduler.calendar import (
    DeadlineError,
    DeadlineInPast,
    DeadlineTooFar,
    DeadlineUnreadable,
    WorkCalendar,
)
from scheduler.holidays import coverage, festivals_missing, package_years, year_schedule
from tests.factories import at, eod

# A made-up but complete 2027 schedule: one or more days in every festival's window.
FULL_2027 = [
    date(2027, 1, 1),
    *(date(2027, 2, d) for d in range(6, 13)),
    date(2027, 4, 5),
    *(date(2027, 5, d) for d in range(1, 6)),
    date(2027, 6, 9),
    date(2027, 9, 15),
    *(date(2027, 10, d) for d in range(1, 8)),
]


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


# -- coverage -------------------------------------------------------------------------------


def test_the_package_covers_2004_to_2026() -> None:
    assert package_years() == range(2004, 2027)
    assert coverage(2026).source == "package"
    assert coverage(2004).source == "package"
    assert not coverage(2027).covered
    assert not coverage(2003).covered


@pytest.mark.parametrize("year", range(2008, 2027))
def test_every_festival_window_holds_for_the_package_years(year: int) -> None:
    # The windows decide whether settings cover a year; check them against real schedules
    # (2008 is the first year with Qingming, Dragon Boat and Mid-Autumn as holidays).
    assert festivals_missing(year, chinese_calendar.holidays) == ()


def test_new_years_day_alone_does_not_cover_a_year() -> None:
    cover = coverage(2027, [date(2027, 1, 1)])
    assert not cover.covered
    assert "Spring Festival" in cover.missing
    assert "National Day" in cover.missing
    assert "New Year's Day" not in cover.missing


def test_settings_listing_every_festival_cover_the_year() -> None:
    assert coverage(2027, FULL_2027).source == "settings"
    assert not coverage(2028, FULL_2027).covered


@pytest.mark.parametrize(
    ("now", "uncovered"),
    [
        (at(2025, 6, 1), []),
        (at(2026, 11, 29), [2027]),
        (at(2027, 3, 1), [2027, 2028]),
        (datetime(2026, 12, 31, 17, tzinfo=UTC), [2027, 2028]),  # already 2027 in Shanghai
        (datetime(2026, 12, 31, 15, 59, tzinfo=UTC), [2027]),
    ],
)
def test_warn_uncovered_this_and_next_year(
    now: datetime, uncovered: list[int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="scheduler.calendar")
    assert WorkCalendar().warn_uncovered(now) == uncovered
    logged = warnings(caplog)
    assert len(logged) == len(uncovered)
    for year, message in zip(uncovered, logged, strict=True):
        assert f"does not cover {year}" in message
        assert f"duban calendar {year}" in message


def test_warn_uncovered_in_new_york_uses_the_local_year(caplog: pytest.LogCaptureFixture) -> None:
    cal = WorkCalendar(tz="America/New_York")
    # 02:00 UTC on 1 January 2027 is still 31 December 2026 in New York.
    assert cal.warn_uncovered(datetime(2027, 1, 1, 2, tzinfo=UTC)) == [2027]


def test_settings_coverage_silences_the_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="scheduler.calendar")
    cal = WorkCalendar(extra_holidays=FULL_2027)
    assert cal.warn_uncovered(at(2026, 11, 29)) == []
    # Spring Festival week 2027 as listed: Friday 5 Feb + 1 working day skips to the 15th.
    assert cal.add(at(2027, 2, 5), "1wd") == eod(2027, 2, 15)
    assert warnings(caplog) == []


# -- uncovered years: weekends only, one log line, no crash ---------------------------------


def test_a_deadline_in_an_uncovered_year_logs_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="scheduler.calendar")
    cal = WorkCalendar()
    for _ in range(5):
        # Chinese New Year 2027 falls on 6 February; without a schedule only weekends are off.
        assert cal.add(at(2027, 2, 5), "1wd") == eod(2027, 2, 8)
    logged = warnings(caplog)
    assert len(logged) == 1
    assert "2027" in logged[0]
    assert "weekends only" in logged[0]


def test_across_the_2027_2028_year_end_uncovered() -> None:
    cal = WorkCalendar()
    # Thursday 30 Dec 2027: Fri 31, (1-2 Jan weekend), Mon 3, Tue 4.
    assert cal.add(at(2027, 12, 30), "1wd") == eod(2027, 12, 31)
    assert cal.add(at(2027, 12, 30), "3wd") == eod(2028, 1, 4)
    assert cal.subtract(eod(2028, 1, 3), "1wd") == eod(2027, 12, 31)
    assert cal.working_days_left(at(2027, 12, 30), eod(2028, 1, 4)) == 3


def test_across_the_2026_2027_year_end_with_settings_new_year() -> None:
    cal = WorkCalendar(extra_holidays=["2027-01-01"])
    # 31 Dec 2026 is a Thursday; 1 Jan 2027 (Friday) is off by settings.
    assert cal.add(at(2026, 12, 31), "1wd") == eod(2027, 1, 4)
    assert cal.working_days_left(at(2026, 12, 30), eod(2027, 1, 4)) == 2


# -- the year's schedule, by source ---------------------------------------------------------


def test_year_schedule_2026_from_the_package() -> None:
    entries = year_schedule(2026)
    holidays = {e.day for e in entries if not e.workday}
    makeup = {e.day: e for e in entries if e.workday}
    assert {date(2026, 10, d) for d in range(1, 8)} <= holidays
    assert {date(2026, 2, d) for d in range(15, 24)} <= holidays
    assert set(makeup) == {
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    }
    assert makeup[date(2026, 10, 10)].name == "National Day"
    assert all(e.source == "package" for e in entries)


def test_year_schedule_settings_override_the_package() -> None:
    entries = {
        e.day: e
        for e in year_schedule(
            2026,
            extra_holidays=[date(2026, 10, 9), date(2027, 1, 1)],
            extra_workdays=[date(2026, 10, 3)],
        )
    }
    assert entries[date(2026, 10, 9)].source == "settings"
    assert not entries[date(2026, 10, 9)].workday
    assert entries[date(2026, 10, 3)].workday
    assert entries[date(2026, 10, 3)].overrides_package
    assert entries[date(2026, 10, 3)].name == "National Day"
    assert date(2027, 1, 1) not in entries


def test_year_schedule_of_an_uncovered_year_lists_settings_only() -> None:
    entries = year_schedule(2027, extra_holidays=[date(2027, 1, 1)], extra_workdays=[])
    assert [(e.day, e.source) for e in entries] == [(date(2027, 1, 1), "settings")]


# -- typed deadline errors and dates on days off -------------------------------------------

MONDAY = at(2026, 3, 9, 9)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("soon", DeadlineUnreadable),
        ("", DeadlineUnreadable),
        ("2-30", DeadlineUnreadable),
        ("2026-03-06", DeadlineInPast),
        ("0s", DeadlineInPast),
        ("2027-03-10", DeadlineTooFar),
        ("400d", DeadlineTooFar),
        ("300wd", DeadlineTooFar),
    ],
)
def test_parse_deadline_raises_typed_errors(text: str, error: type[DeadlineError]) -> None:
    with pytest.raises(error):
        WorkCalendar().parse_deadline(text, now=MONDAY)
    assert issubclass(error, ValueError)


@pytest.mark.parametrize(
    ("text", "now", "deadline"),
    [
        ("10-3", at(2026, 9, 28), eod(2026, 10, 8)),  # National Day: the next working day
        ("2026-10-10", at(2026, 9, 28), eod(2026, 10, 10)),  # a make-up Saturday is a workday
        ("2-15", at(2026, 2, 2), eod(2026, 2, 24)),  # Spring Festival
        ("3-14", MONDAY, eod(2026, 3, 16)),  # an ordinary Saturday
        ("10-3", at(2026, 10, 3), eod(2026, 10, 8)),  # typed on the holiday itself
    ],
)
def test_a_date_on_a_day_off_ends_on_the_next_working_day(
    text: str, now: datetime, deadline: datetime
) -> None:
    assert WorkCalendar().parse_deadline(text, now=now) == deadline


def test_a_past_holiday_does_not_roll_into_the_future() -> None:
    with pytest.raises(DeadlineInPast):
        WorkCalendar().parse_deadline("2026-10-03", now=at(2026, 10, 5))


def test_the_repo_settings_do_not_yet_cover_2027(settings_factory) -> None:
    from bot.deps import make_calendar

    calendar = make_calendar(settings_factory())
    assert calendar.warn_uncovered(at(2026, 11, 29)) == [2027]
    assert calendar.coverage(2027).missing[0] == "Spring Festival"
