"""WorkCalendar against China's 2026 holiday schedule as chinese_calendar 1.11 has it."""

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.calendar import WorkCalendar
from scheduler.durations import Duration
from tests.factories import SHANGHAI, at, eod

# -- the 2026 schedule --------------------------------------------------------------------


@pytest.mark.parametrize("day", range(1, 8))
def test_national_day_2026_is_october_1_to_7(cal: WorkCalendar, day: int) -> None:
    assert not cal.is_workday(date(2026, 10, day))


def test_national_day_2026_boundaries_and_make_up_days(cal: WorkCalendar) -> None:
    assert cal.is_workday(date(2026, 9, 30))  # Wednesday before
    assert cal.is_workday(date(2026, 10, 8))  # Thursday after: back at work
    assert cal.is_workday(date(2026, 9, 20))  # Sunday, make-up working day
    assert cal.is_workday(date(2026, 10, 10))  # Saturday, make-up working day
    assert not cal.is_workday(date(2026, 10, 11))  # an ordinary Sunday


def test_mid_autumn_2026_is_september_25_to_27(cal: WorkCalendar) -> None:
    assert [cal.is_workday(date(2026, 9, d)) for d in range(24, 29)] == [
        True,
        False,
        False,
        False,
        True,
    ]


def test_spring_festival_2026(cal: WorkCalendar) -> None:
    for day in range(15, 24):
        assert not cal.is_workday(date(2026, 2, day)), day
    assert cal.is_workday(date(2026, 2, 14))  # Saturday, make-up working day
    assert cal.is_workday(date(2026, 2, 28))  # Saturday, make-up working day
    assert cal.is_workday(date(2026, 2, 24))  # Tuesday after


def test_new_year_2026(cal: WorkCalendar) -> None:
    assert not cal.is_workday(date(2026, 1, 1))
    assert not cal.is_workday(date(2026, 1, 2))
    assert not cal.is_workday(date(2026, 1, 3))
    assert cal.is_workday(date(2026, 1, 4))  # Sunday, make-up working day


def test_ordinary_weekend(cal: WorkCalendar) -> None:
    assert cal.is_workday(date(2026, 3, 6))  # Friday
    assert not cal.is_workday(date(2026, 3, 7))
    assert not cal.is_workday(date(2026, 3, 8))


def test_is_workday_refuses_a_datetime(cal: WorkCalendar) -> None:
    with pytest.raises(TypeError, match="local"):
        cal.is_workday(at(2026, 3, 6))


# -- add --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "deadline"),
    [
        (at(2026, 9, 30), "0wd", eod(2026, 9, 30)),
        (at(2026, 9, 30), "1wd", eod(2026, 10, 8)),
        (at(2026, 9, 30), "2wd", eod(2026, 10, 9)),
        (at(2026, 9, 30), "3wd", eod(2026, 10, 10)),  # the make-up Saturday counts
        (at(2026, 9, 30), "4wd", eod(2026, 10, 12)),
        (at(2026, 10, 1), "0wd", eod(2026, 10, 8)),  # issued on the holiday
        (at(2026, 10, 3), "1wd", eod(2026, 10, 9)),
        (at(2026, 9, 18), "1wd", eod(2026, 9, 20)),  # make-up Sunday before National Day
        (at(2026, 9, 24), "1wd", eod(2026, 9, 28)),  # over Mid-Autumn
        (at(2026, 2, 13), "1wd", eod(2026, 2, 14)),  # Spring Festival make-up Saturday
        (at(2026, 2, 14), "1wd", eod(2026, 2, 24)),
        (at(2026, 2, 13), "5wd", eod(2026, 2, 27)),
        (at(2026, 2, 13), "6wd", eod(2026, 2, 28)),
        (at(2026, 2, 18), "0wd", eod(2026, 2, 24)),
    ],
)
def test_add_working_days_over_2026_holidays(
    cal: WorkCalendar, start: datetime, duration: str, deadline: datetime
) -> None:
    assert cal.add(start, Duration.parse(duration)) == deadline


def test_add_over_a_weekend(cal: WorkCalendar) -> None:
    friday = at(2026, 3, 6, 9)
    assert cal.add(friday, Duration(0, "wd")) == eod(2026, 3, 6)
    assert cal.add(friday, Duration(1, "wd")) == eod(2026, 3, 9)
    assert cal.add(friday, Duration(10, "wd")) == eod(2026, 3, 20)
    saturday = at(2026, 3, 7, 11)
    assert cal.add(saturday, Duration(0, "wd")) == eod(2026, 3, 9)
    assert cal.add(saturday, Duration(1, "wd")) == eod(2026, 3, 10)


def test_add_from_friday_evening(cal: WorkCalendar) -> None:
    evening = at(2026, 3, 6, 20, 30)
    assert cal.add(evening, Duration(1, "wd")) == eod(2026, 3, 9)
    assert cal.add(evening, Duration(2, "wd")) == eod(2026, 3, 10)
    # Friday's working day is already over, so "today" means Monday.
    assert cal.add(evening, Duration(0, "wd")) == eod(2026, 3, 9)


def test_add_uses_the_local_date_not_the_utc_one(cal: WorkCalendar) -> None:
    early_friday = at(2026, 3, 6, 1)  # still Thursday in UTC
    assert early_friday.date() == date(2026, 3, 5)
    assert cal.add(early_friday, Duration(1, "wd")) == eod(2026, 3, 9)


def test_add_plain_units(cal: WorkCalendar) -> None:
    start = at(2026, 10, 1, 9)
    assert cal.add(start, Duration(3, "d")) == start + timedelta(days=3)
    assert cal.add(start, Duration(48, "h")) == start + timedelta(hours=48)
    assert cal.add(start, Duration(30, "m")) == start + timedelta(minutes=30)
    assert cal.add(start, Duration(20, "s")) == start + timedelta(seconds=20)


def test_add_accepts_any_aware_zone_and_answers_in_utc(cal: WorkCalendar) -> None:
    start = datetime(2026, 9, 30, 10, tzinfo=SHANGHAI)
    deadline = cal.add(start, Duration(1, "wd"))
    assert deadline.utcoffset() == timedelta(0)
    assert deadline == eod(2026, 10, 8)
    assert cal.add(start, Duration(1, "h")).utcoffset() == timedelta(0)


def test_custom_workday_end_and_zone() -> None:
    cal = WorkCalendar(tz="Asia/Urumqi", workday_end=time(17, 30))
    start = datetime(2026, 9, 30, 10, tzinfo=ZoneInfo("Asia/Urumqi"))
    expected = datetime(2026, 10, 8, 17, 30, tzinfo=ZoneInfo("Asia/Urumqi"))
    assert cal.add(start, Duration(1, "wd")) == expected


# -- beyond chinese_calendar's data --------------------------------------------------------


def test_year_boundary_into_2027_falls_back_to_weekdays(
    cal: WorkCalendar, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="scheduler.calendar")
    # 2027-01-01 is a Friday: without data it counts as a working day.
    assert cal.add(at(2026, 12, 31), Duration(1, "wd")) == eod(2027, 1, 1)
    assert cal.add(at(2026, 12, 31), Duration(2, "wd")) == eod(2027, 1, 4)
    assert not cal.is_workday(date(2027, 1, 2))
    assert cal.working_days_left(at(2026, 12, 31), eod(2027, 1, 8)) == 6
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "2027" in warnings[0].getMessage()


def test_one_warning_per_uncovered_year(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="scheduler.calendar")
    cal = WorkCalendar()
    for _ in range(3):
        cal.is_workday(date(2027, 5, 3))
        cal.is_workday(date(2027, 5, 4))
        cal.is_workday(date(2028, 5, 1))
    years = sorted(r.getMessage().split("for ")[1][:4] for r in caplog.records)
    assert years == ["2027", "2028"]


def test_extra_days_apply_beyond_the_data(caplog: pytest.LogCaptureFixture) -> None:
    cal = WorkCalendar(extra_holidays=[date(2027, 1, 1)], extra_workdays=["2027-01-09"])
    assert cal.add(at(2026, 12, 31), Duration(1, "wd")) == eod(2027, 1, 4)
    assert cal.is_workday(date(2027, 1, 9))  # a Saturday made a working day


# -- overrides ----------------------------------------------------------------------------


def test_extra_days_override_the_library() -> None:
    cal = WorkCalendar(
        extra_holidays=[date(2026, 10, 8)],
        extra_workdays=[date(2026, 10, 3), date(2026, 3, 7)],
    )
    assert not cal.is_workday(date(2026, 10, 8))
    assert cal.is_workday(date(2026, 10, 3))
    assert cal.is_workday(date(2026, 3, 7))
    assert cal.add(at(2026, 9, 30), Duration(1, "wd")) == eod(2026, 10, 3)
    assert cal.add(at(2026, 10, 3), Duration(1, "wd")) == eod(2026, 10, 9)


def test_extra_days_accept_iso_strings() -> None:
    cal = WorkCalendar(extra_holidays=["2026-03-09"])
    assert not cal.is_workday(date(2026, 3, 9))


def test_a_day_cannot_be_both_holiday_and_workday() -> None:
    with pytest.raises(ValueError, match="2026-10-08"):
        WorkCalendar(extra_holidays=[date(2026, 10, 8)], extra_workdays=["2026-10-08"])


def test_bad_extra_day_is_reported() -> None:
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        WorkCalendar(extra_holidays=["8 Oct"])


# -- zones and naive datetimes ----------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda cal, naive: cal.add(naive, Duration(1, "wd")),
        lambda cal, naive: cal.add(naive, Duration(1, "h")),
        lambda cal, naive: cal.subtract(naive, Duration(1, "wd")),
        lambda cal, naive: cal.working_days_left(naive, eod(2026, 10, 9)),
        lambda cal, naive: cal.working_days_left(eod(2026, 10, 9), naive),
        lambda cal, naive: cal.local(naive),
        lambda cal, naive: cal.parse_deadline("5wd", now=naive),
    ],
)
def test_naive_datetimes_are_rejected(cal: WorkCalendar, call) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call(cal, datetime(2026, 9, 30, 10))


def test_shanghai_has_no_dst(cal: WorkCalendar) -> None:
    for month in range(1, 13):
        end = cal.end_of_workday(date(2026, month, 1))
        assert end == datetime(2026, month, 1, 10, tzinfo=UTC)
        assert cal.local(end).utcoffset() == timedelta(hours=8)


def test_local_and_end_of_workday(cal: WorkCalendar) -> None:
    moment = datetime(2026, 10, 8, 16, 30, tzinfo=UTC)
    local = cal.local(moment)
    assert (local.date(), local.hour, local.minute) == (date(2026, 10, 9), 0, 30)
    assert cal.end_of_workday(date(2026, 10, 8)).tzinfo == UTC


# -- subtract (reminders) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("deadline", "before", "reminder"),
    [
        (eod(2026, 10, 8), "1wd", eod(2026, 9, 30)),
        (eod(2026, 10, 12), "1wd", eod(2026, 10, 10)),  # make-up Saturday
        (eod(2026, 10, 12), "2wd", eod(2026, 10, 9)),
        (eod(2026, 2, 24), "1wd", eod(2026, 2, 14)),
        (eod(2026, 3, 9), "1wd", eod(2026, 3, 6)),  # Monday -> Friday
        (at(2026, 3, 10, 15, 45), "1wd", at(2026, 3, 9, 15, 45)),  # keeps the clock time
        (eod(2026, 10, 3), "0wd", eod(2026, 9, 30)),  # lands on a working day
        (eod(2026, 10, 3), "1wd", eod(2026, 9, 30)),
        (eod(2026, 10, 8), "0wd", eod(2026, 10, 8)),
        (eod(2026, 10, 8), "2h", at(2026, 10, 8, 16)),
        (eod(2026, 10, 8), "1d", eod(2026, 10, 7)),
    ],
)
def test_subtract(cal: WorkCalendar, deadline: datetime, before: str, reminder: datetime) -> None:
    result = cal.subtract(deadline, Duration.parse(before))
    assert result == reminder
    assert result.utcoffset() == timedelta(0)


def test_reminder_precedes_the_deadline_it_came_from(cal: WorkCalendar) -> None:
    start = at(2026, 9, 28, 9)
    for amount in range(1, 15):
        deadline = cal.add(start, Duration(amount, "wd"))
        reminder = cal.subtract(deadline, Duration(1, "wd"))
        assert reminder < deadline
        assert cal.is_workday(cal.local(reminder).date())
        assert cal.working_days_left(reminder, deadline) == 1


# -- working_days_left ----------------------------------------------------------------------


def test_working_days_left(cal: WorkCalendar) -> None:
    deadline = eod(2026, 10, 9)
    assert cal.working_days_left(at(2026, 9, 30), deadline) == 2
    assert cal.working_days_left(at(2026, 10, 2), deadline) == 2
    assert cal.working_days_left(at(2026, 10, 8), deadline) == 1
    assert cal.working_days_left(at(2026, 10, 9, 8), deadline) == 0
    assert cal.working_days_left(at(2026, 10, 9, 23), deadline) == 0  # late, same day
    assert cal.working_days_left(at(2026, 10, 10), deadline) == -1  # make-up Saturday
    assert cal.working_days_left(at(2026, 10, 11), deadline) == -1  # Sunday adds none
    assert cal.working_days_left(at(2026, 10, 12), deadline) == -2


def test_working_days_left_over_the_whole_national_day(cal: WorkCalendar) -> None:
    # 9-30 is today; counted: 10-8, 10-9, 10-10 (make-up), 10-12.
    assert cal.working_days_left(at(2026, 9, 30), eod(2026, 10, 12)) == 4
    assert cal.working_days_left(at(2026, 10, 12), eod(2026, 9, 30)) == -4


# -- parse_deadline -------------------------------------------------------------------------

MONDAY = at(2026, 3, 9, 9)  # 2026-03-09 09:00 Shanghai


@pytest.mark.parametrize(
    ("text", "deadline"),
    [
        ("5wd", eod(2026, 3, 16)),
        ("5 wd", eod(2026, 3, 16)),
        ("5个工作日", eod(2026, 3, 16)),
        ("5 个工作日", eod(2026, 3, 16)),
        ("5工作日", eod(2026, 3, 16)),
        ("５个工作日", eod(2026, 3, 16)),  # full-width digit from a Chinese IME
        ("0wd", eod(2026, 3, 9)),
        ("3d", MONDAY + timedelta(days=3)),
        ("3天", MONDAY + timedelta(days=3)),
        ("48h", MONDAY + timedelta(hours=48)),
        ("48小时", MONDAY + timedelta(hours=48)),
        ("90m", MONDAY + timedelta(minutes=90)),
        ("2026-12-15", eod(2026, 12, 15)),
        ("2026/12/15", eod(2026, 12, 15)),
        ("2026年12月15日", eod(2026, 12, 15)),
        ("12-15", eod(2026, 12, 15)),
        ("12/15", eod(2026, 12, 15)),
        ("12／15", eod(2026, 12, 15)),
        ("12月15日", eod(2026, 12, 15)),
        ("12月15号", eod(2026, 12, 15)),
        (" 3-9 ", eod(2026, 3, 9)),  # today, before the end of the working day
        ("3-8", eod(2027, 3, 8)),  # yesterday: next year's
        ("2027-03-09", eod(2027, 3, 9)),  # exactly a year ahead
    ],
)
def test_parse_deadline_forms(cal: WorkCalendar, text: str, deadline: datetime) -> None:
    assert cal.parse_deadline(text, now=MONDAY) == deadline


def test_parse_deadline_infers_the_year_across_new_year(cal: WorkCalendar) -> None:
    december = at(2026, 12, 20, 9)
    assert cal.parse_deadline("1-5", now=december) == eod(2027, 1, 5)
    assert cal.parse_deadline("1月5日", now=december) == eod(2027, 1, 5)
    assert cal.parse_deadline("12-31", now=december) == eod(2026, 12, 31)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no deadline given"),
        ("   ", "no deadline given"),
        ("soon", "is not a deadline"),
        ("5 weeks", "is not a deadline"),
        ("-3d", "is not a deadline"),
        ("5个月", "is not a deadline"),
        ("13-01", "not a calendar date"),
        ("2-30", "not a calendar date"),
        ("2026-02-29", "not a calendar date"),
        ("2-29", "does not occur within the next year"),
        ("2025-12-15", "in the past"),
        ("2026-03-06", "in the past"),
        ("0s", "in the past"),
        ("0d", "in the past"),
        ("2027-03-10", "more than a year ahead"),
        ("400d", "more than a year ahead"),
        ("367天", "more than a year ahead"),
        ("300wd", "more than a year ahead"),
        ("100000wd", "more than a year ahead"),
        ("99999999999999999999d", "more than a year ahead"),
    ],
)
def test_parse_deadline_errors(cal: WorkCalendar, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cal.parse_deadline(text, now=MONDAY)


def test_parse_deadline_today_after_hours_is_past(cal: WorkCalendar) -> None:
    evening = at(2026, 3, 9, 19)
    with pytest.raises(ValueError, match="in the past"):
        cal.parse_deadline("3-9", now=evening)
    assert cal.parse_deadline("0wd", now=evening) == eod(2026, 3, 10)


def test_parse_deadline_error_lists_accepted_forms(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError) as caught:
        cal.parse_deadline("next week", now=MONDAY)
    text = str(caught.value)
    for form in ("5wd", "2026-12-15", "12-15", "5个工作日", "3天", "12月15日"):
        assert form in text
