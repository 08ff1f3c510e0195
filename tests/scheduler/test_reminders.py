"""Reminder plans: offsets before the deadline, quiet hours, the last one, what a sweep sends."""

from datetime import UTC, datetime, time, timedelta

import pytest

from scheduler.calendar import WorkCalendar
from scheduler.reminders import (
    NO_QUIET_HOURS,
    QuietHours,
    ReminderPlan,
    due_reminders,
    next_reminder_at,
    plan_reminders,
)
from tests.factories import NEW_YORK, at, eod


def shape(plan: ReminderPlan) -> list[tuple[str, datetime, bool, bool]]:
    return [(p.id, p.at, p.last, p.deferred) for p in plan.points]


# -- the plan ------------------------------------------------------------------------------

NATIONAL_DAY_DUE = eod(2026, 10, 12)  # Monday after the National Day week


def national_day_plan(cal: WorkCalendar, issued_at: datetime) -> ReminderPlan:
    return plan_reminders(
        cal, deadline=NATIONAL_DAY_DUE, offsets=["3wd", "1wd", "2h"], issued_at=issued_at
    )


def test_plan_over_national_day_and_its_make_up_saturday(cal: WorkCalendar) -> None:
    assert shape(national_day_plan(cal, at(2026, 9, 28))) == [
        ("3wd", eod(2026, 10, 8), False, False),  # 10, 9, 8 October: the holiday is skipped
        ("1wd", eod(2026, 10, 10), False, False),  # the make-up Saturday
        ("2h", at(2026, 10, 12, 16), True, False),
    ]


def test_reminders_before_the_issue_are_dropped(cal: WorkCalendar) -> None:
    plan = national_day_plan(cal, at(2026, 10, 9))
    assert [p.id for p in plan.points] == ["1wd", "2h"]
    late = national_day_plan(cal, at(2026, 10, 12, 17))
    assert late.points == ()


def test_a_reminder_at_the_issue_instant_is_kept(cal: WorkCalendar) -> None:
    plan = national_day_plan(cal, eod(2026, 10, 10))
    assert [p.id for p in plan.points] == ["1wd", "2h"]


def test_plan_over_the_spring_festival(cal: WorkCalendar) -> None:
    plan = plan_reminders(
        cal, deadline=eod(2026, 2, 25), offsets=["3wd", "1wd"], issued_at=at(2026, 2, 9)
    )
    # 24 Feb, (15-23 off), 14 Feb (make-up Saturday), 13 Feb.
    assert shape(plan) == [
        ("3wd", eod(2026, 2, 13), False, False),
        ("1wd", eod(2026, 2, 24), True, False),
    ]


def test_plan_across_the_year_end_into_uncovered_2027(cal: WorkCalendar) -> None:
    plan = plan_reminders(
        cal, deadline=eod(2027, 1, 4), offsets=["3wd", "1wd"], issued_at=at(2026, 12, 20)
    )
    # Monday 4 January: Fri 1 January counts as a working day without a 2027 schedule.
    assert [p.at for p in plan.points] == [eod(2026, 12, 30), eod(2027, 1, 1)]


def test_a_reminder_in_quiet_hours_waits_for_the_morning(cal: WorkCalendar) -> None:
    plan = plan_reminders(
        cal, deadline=at(2026, 3, 10, 9), offsets=["12h", "2h"], issued_at=at(2026, 3, 9)
    )
    # 21:00 and 07:00 both fall in the night's quiet hours: both wait until 08:00, the nearer
    # offset last.
    assert shape(plan) == [
        ("12h", at(2026, 3, 10, 8), False, True),
        ("2h", at(2026, 3, 10, 8), True, True),
    ]


def test_no_waiting_when_the_deadline_is_in_the_same_quiet_period(cal: WorkCalendar) -> None:
    plan = plan_reminders(
        cal, deadline=at(2026, 3, 10, 7), offsets=["12h", "2h"], issued_at=at(2026, 3, 9)
    )
    assert shape(plan) == [
        ("12h", at(2026, 3, 9, 19), False, False),
        ("2h", at(2026, 3, 10, 5), True, False),
    ]


def test_the_previous_nights_quiet_period_still_defers(cal: WorkCalendar) -> None:
    plan = plan_reminders(
        cal, deadline=at(2026, 3, 11, 7), offsets=["1d"], issued_at=at(2026, 3, 9)
    )
    assert shape(plan) == [("1d", at(2026, 3, 10, 8), True, True)]


def test_quiet_hours_are_configurable(cal: WorkCalendar) -> None:
    lunch = QuietHours(time(12), time(14))
    plan = plan_reminders(
        cal, deadline=eod(2026, 3, 10), offsets=["5h"], issued_at=at(2026, 3, 9), quiet=lunch
    )
    assert shape(plan) == [("5h", at(2026, 3, 10, 14), True, True)]
    none = plan_reminders(
        cal,
        deadline=at(2026, 3, 10, 9),
        offsets=["2h"],
        issued_at=at(2026, 3, 9),
        quiet=NO_QUIET_HOURS,
    )
    assert shape(none) == [("2h", at(2026, 3, 10, 7), True, False)]


def test_drill_minutes_in_the_afternoon(cal: WorkCalendar) -> None:
    issued = at(2026, 3, 10, 14)
    plan = plan_reminders(
        cal, deadline=issued + timedelta(minutes=10), offsets=["5m", "1m"], issued_at=issued
    )
    assert [p.at for p in plan.points] == [
        issued + timedelta(minutes=5),
        issued + timedelta(minutes=9),
    ]


def test_quiet_hours_in_new_york_after_the_clocks_change() -> None:
    cal = WorkCalendar(tz="America/New_York")
    deadline = at(2026, 3, 9, 9, zone=NEW_YORK)
    plan = plan_reminders(
        cal, deadline=deadline, offsets=["1wd", "2h"], issued_at=at(2026, 3, 5, zone=NEW_YORK)
    )
    assert shape(plan) == [
        ("1wd", at(2026, 3, 6, 9, zone=NEW_YORK), False, False),
        ("2h", at(2026, 3, 9, 8, zone=NEW_YORK), True, True),  # 07:00 local waits until 08:00
    ]
    assert plan.points[1].at == datetime(2026, 3, 9, 12, tzinfo=UTC)  # EDT


def test_shanghai_and_utc_see_different_nights() -> None:
    deadline = datetime(2026, 3, 10, 10, tzinfo=UTC)  # 18:00 in Shanghai
    issued = datetime(2026, 3, 9, tzinfo=UTC)

    def reminder(zone: str) -> tuple[datetime, bool]:
        plan = plan_reminders(
            WorkCalendar(tz=zone), deadline=deadline, offsets=["7h"], issued_at=issued
        )
        return plan.points[0].at, plan.points[0].deferred

    # 03:00 UTC is 11:00 in Shanghai but the middle of the night on a UTC clock.
    assert reminder("Asia/Shanghai") == (datetime(2026, 3, 10, 3, tzinfo=UTC), False)
    assert reminder("UTC") == (datetime(2026, 3, 10, 8, tzinfo=UTC), True)


# -- what a sweep does ---------------------------------------------------------------------


@pytest.fixture
def plan(cal: WorkCalendar) -> ReminderPlan:
    return national_day_plan(cal, at(2026, 9, 28))


def test_nothing_before_the_first_point(plan: ReminderPlan) -> None:
    assert due_reminders(plan, now=at(2026, 10, 8, 17), sent=()).send is None


def test_each_point_once(plan: ReminderPlan) -> None:
    first = due_reminders(plan, now=eod(2026, 10, 8), sent=())
    assert first.send is not None and first.send.id == "3wd"
    assert due_reminders(plan, now=at(2026, 10, 9), sent={"3wd"}).send is None
    assert next_reminder_at(plan, sent={"3wd"}) == eod(2026, 10, 10)


def test_after_downtime_only_the_latest_point_is_sent(plan: ReminderPlan) -> None:
    due = due_reminders(plan, now=at(2026, 10, 12, 17), sent={"3wd"})
    assert due.send is not None
    assert (due.send.id, due.send.last) == ("2h", True)  # the head gets it too
    assert [p.id for p in due.superseded] == ["1wd"]
    assert due.lost == ()


def test_reminders_lose_their_purpose_once_the_deadline_passed(plan: ReminderPlan) -> None:
    due = due_reminders(plan, now=at(2026, 10, 13), sent={"3wd"})
    assert due.send is None
    assert [p.id for p in due.lost] == ["1wd", "2h"]
    assert due_reminders(plan, now=at(2026, 10, 13), sent={"3wd", "1wd", "2h"}).lost == ()
    assert next_reminder_at(plan, sent={"3wd", "1wd", "2h"}) is None
