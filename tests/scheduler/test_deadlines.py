"""An assignment's clocks: first deadlines, extensions, pauses, and the time left."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.settings import Settings
from scheduler.calendar import DeadlineInPast, WorkCalendar
from scheduler.deadlines import (
    ExtensionNotLater,
    ExtensionTooLate,
    PauseAfterDeadline,
    ResumeBeforePause,
    TimeLeft,
    assignment_clocks,
    due_after_pauses,
    extended_due,
    resumed_due,
    time_left,
)
from tests.factories import NEW_YORK, at, eod

# -- first deadlines -----------------------------------------------------------------------


def test_permit_defaults_from_settings_over_national_day(
    cal: WorkCalendar, settings_factory: Callable[..., Settings]
) -> None:
    policy = settings_factory().sla.policy("permit", "standard")
    clocks = assignment_clocks(
        cal,
        issued_at=at(2026, 9, 30),
        completion=policy.completion,
        acknowledgement=policy.acknowledgement,
    )
    # 5 working days: 8, 9, 10 (make-up Saturday), 12, 13 October.
    assert clocks.complete_by == eod(2026, 10, 13)
    assert clocks.acknowledge_by == eod(2026, 10, 8)


def test_land_defaults_over_the_spring_festival(
    cal: WorkCalendar, settings_factory: Callable[..., Settings]
) -> None:
    policy = settings_factory().sla.policy("land", "standard")
    assert str(policy.completion) == "15wd"
    clocks = assignment_clocks(
        cal,
        issued_at=at(2026, 2, 13),
        completion=policy.completion,
        acknowledgement=policy.acknowledgement,
    )
    # 14 Feb (make-up), 24-27 Feb, 28 Feb (make-up), 2-6, 9-12 March.
    assert clocks.complete_by == eod(2026, 3, 12)
    assert clocks.acknowledge_by == eod(2026, 2, 14)


def test_dispute_acknowledgement_in_hours(cal: WorkCalendar) -> None:
    clocks = assignment_clocks(
        cal, issued_at=at(2026, 3, 6, 17), completion="3wd", acknowledgement="4h"
    )
    assert clocks.acknowledge_by == at(2026, 3, 6, 21)
    assert clocks.complete_by == eod(2026, 3, 11)


@pytest.mark.parametrize(
    ("chosen", "due"),
    [
        ("2wd", eod(2026, 10, 9)),
        (date(2026, 10, 3), eod(2026, 10, 8)),  # a holiday: the next working day
        (date(2026, 10, 10), eod(2026, 10, 10)),  # the make-up Saturday
        (eod(2026, 10, 20), eod(2026, 10, 20)),  # an instant parsed at dispatch
    ],
)
def test_a_chosen_deadline_replaces_the_default(
    cal: WorkCalendar, chosen: object, due: datetime
) -> None:
    clocks = assignment_clocks(
        cal, issued_at=at(2026, 9, 30), completion="5wd", acknowledgement="1wd", chosen=chosen
    )
    assert clocks.complete_by == due


def test_signing_for_is_never_due_after_the_work(cal: WorkCalendar) -> None:
    clocks = assignment_clocks(
        cal, issued_at=at(2026, 9, 30), completion="5wd", acknowledgement="1wd", chosen="0wd"
    )
    assert clocks.acknowledge_by == clocks.complete_by == eod(2026, 9, 30)


def test_uncovered_2027_counts_weekends_only(cal: WorkCalendar) -> None:
    clocks = assignment_clocks(
        cal, issued_at=at(2027, 9, 30), completion="5wd", acknowledgement="1wd"
    )
    # No National Day schedule for 2027 yet: Fri 1, Mon 4 ... Thu 7 October.
    assert clocks.complete_by == eod(2027, 10, 7)


def test_new_york_deadline_ends_at_the_local_working_day() -> None:
    cal = WorkCalendar(tz="America/New_York")
    clocks = assignment_clocks(
        cal, issued_at=at(2026, 3, 6, 10, zone=NEW_YORK), completion="1wd", acknowledgement="4h"
    )
    assert clocks.complete_by == at(2026, 3, 9, 18, zone=NEW_YORK)
    assert clocks.complete_by == datetime(2026, 3, 9, 22, tzinfo=UTC)  # EDT since Sunday


# -- extensions ----------------------------------------------------------------------------


def test_extension_to_a_typed_date(cal: WorkCalendar) -> None:
    new = extended_due(cal, now=at(2026, 9, 28), due_at=eod(2026, 9, 30), requested="10-12")
    assert new == eod(2026, 10, 12)


def test_extension_to_a_holiday_ends_after_it(cal: WorkCalendar) -> None:
    new = extended_due(
        cal, now=at(2026, 9, 28), due_at=eod(2026, 9, 30), requested=date(2026, 10, 5)
    )
    assert new == eod(2026, 10, 8)


def test_extension_must_move_the_deadline_later(cal: WorkCalendar) -> None:
    with pytest.raises(ExtensionNotLater):
        # 3 October rolls to the 8th, which is not after the 9th.
        extended_due(cal, now=at(2026, 9, 28), due_at=eod(2026, 10, 9), requested="10-3")


def test_extension_after_the_deadline_is_refused(cal: WorkCalendar) -> None:
    with pytest.raises(ExtensionTooLate):
        extended_due(cal, now=eod(2026, 10, 9), due_at=eod(2026, 10, 9), requested="10-20")


def test_extension_into_the_past_is_refused(cal: WorkCalendar) -> None:
    with pytest.raises(DeadlineInPast):
        extended_due(cal, now=at(2026, 10, 8), due_at=eod(2026, 10, 9), requested="2026-10-07")


# -- pauses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paused_from", "resumed_at", "due"),
    [
        (at(2026, 3, 9), at(2026, 3, 10), eod(2026, 3, 12)),  # a working day: one day later
        (at(2026, 3, 6, 17), at(2026, 3, 9, 9), at(2026, 3, 12, 10)),  # Fri 7h + Mon 9h
        (at(2026, 3, 7), at(2026, 3, 8, 20), eod(2026, 3, 11)),  # a weekend costs nothing
        (at(2026, 3, 10), at(2026, 3, 10), eod(2026, 3, 11)),  # resumed at once
    ],
)
def test_resume_moves_the_deadline_by_the_paused_working_time(
    cal: WorkCalendar, paused_from: datetime, resumed_at: datetime, due: datetime
) -> None:
    assert (
        resumed_due(cal, due_at=eod(2026, 3, 11), paused_from=paused_from, resumed_at=resumed_at)
        == due
    )


def test_a_pause_over_national_day(cal: WorkCalendar) -> None:
    # Paused at 10:00 on 30 September, resumed at 10:00 on 8 October: 24 working hours.
    due = resumed_due(
        cal, due_at=eod(2026, 10, 9), paused_from=at(2026, 9, 30), resumed_at=at(2026, 10, 8)
    )
    assert due == eod(2026, 10, 10)  # the make-up Saturday


def test_a_pause_over_the_spring_festival_into_a_make_up_day(cal: WorkCalendar) -> None:
    due = resumed_due(
        cal, due_at=eod(2026, 2, 13), paused_from=at(2026, 2, 12), resumed_at=at(2026, 2, 24)
    )
    # Paused: Thu 14h, Fri 24h, make-up Sat 24h, Tue 10h = 72h; from Fri 18:00 that is
    # Fri 6h, Sat 24h, Tue 24h, Wed 18h.
    assert due == eod(2026, 2, 25)


def test_pause_rules(cal: WorkCalendar) -> None:
    with pytest.raises(PauseAfterDeadline):
        resumed_due(
            cal, due_at=eod(2026, 3, 11), paused_from=eod(2026, 3, 11), resumed_at=eod(2026, 3, 12)
        )
    with pytest.raises(ResumeBeforePause):
        resumed_due(
            cal, due_at=eod(2026, 3, 11), paused_from=at(2026, 3, 10), resumed_at=at(2026, 3, 9)
        )


def test_several_pauses_and_one_still_open(cal: WorkCalendar) -> None:
    pauses = [(at(2026, 3, 10), None), (at(2026, 3, 9), at(2026, 3, 9, 12))]
    due = due_after_pauses(cal, due_at=eod(2026, 3, 11), pauses=pauses, now=at(2026, 3, 11))
    # 2h on Monday, then 24h from Tuesday 10:00 to now.
    assert due == eod(2026, 3, 11) + timedelta(hours=2) + timedelta(days=1)
    assert due_after_pauses(cal, due_at=eod(2026, 3, 11), pauses=[], now=at(2026, 3, 11)) == (
        eod(2026, 3, 11)
    )


# -- time left -----------------------------------------------------------------------------

DUE = eod(2026, 3, 11)  # Wednesday


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(2026, 3, 9), ("working_days", 2, 0, 8, 0)),  # Mon 10:00: Tue, Wed and 8h today
        (at(2026, 3, 9, 20), ("working_days", 2, 0, 0, 0)),  # after hours: today is over
        (at(2026, 3, 10, 17), ("working_days", 1, 0, 1, 0)),
        (at(2026, 3, 10, 18, 30), ("hours", 0, 0, 23, 30)),  # under a day: hours and minutes
        # Whole minutes, rounded down as lateness is: "less than a minute" left.
        (DUE - timedelta(seconds=30), ("hours", 0, 0, 0, 0)),
        (DUE, ("overdue", 0, 0, 0, 0)),
        (at(2026, 3, 13, 20, 30), ("overdue", 2, 2, 2, 30)),  # Thu, Fri late; 2 days 2h30
    ],
)
def test_time_left(cal: WorkCalendar, now: datetime, expected: tuple) -> None:
    left = time_left(cal, now=now, due_at=DUE)
    assert (left.kind, left.working_days, left.days, left.hours, left.minutes) == expected
    assert left.remaining == DUE - now


def test_time_left_over_a_weekend(cal: WorkCalendar) -> None:
    monday = eod(2026, 3, 9)
    friday_evening = time_left(cal, now=at(2026, 3, 6, 19), due_at=monday)
    assert (friday_evening.kind, friday_evening.working_days, friday_evening.hours) == (
        "working_days",
        1,
        0,
    )
    friday_morning = time_left(cal, now=at(2026, 3, 6), due_at=monday)
    assert (friday_morning.working_days, friday_morning.hours) == (1, 8)


def test_time_left_over_national_day(cal: WorkCalendar) -> None:
    due = eod(2026, 10, 9)
    assert time_left(cal, now=at(2026, 9, 30), due_at=due) == TimeLeft(
        "working_days", working_days=2, hours=8, remaining=due - at(2026, 9, 30)
    )
    on_holiday = time_left(cal, now=at(2026, 10, 3), due_at=due)
    assert (on_holiday.working_days, on_holiday.hours) == (2, 0)
    late = time_left(cal, now=at(2026, 10, 12), due_at=due)
    # Late by the make-up Saturday and Monday.
    assert (late.kind, late.working_days, late.days, late.hours) == ("overdue", 2, 2, 16)


def test_a_deadline_on_a_day_off_with_no_working_day_before_it_shows_hours(
    cal: WorkCalendar,
) -> None:
    # Friday 19:00 to Saturday 20:00 (a span in calendar days): no working day in between.
    left = time_left(cal, now=at(2026, 3, 6, 19), due_at=at(2026, 3, 7, 20))
    assert (left.kind, left.hours, left.minutes) == ("hours", 25, 0)
    # Over National Day: from the 2nd to a deadline on the 4th.
    left = time_left(cal, now=at(2026, 10, 2, 9, 15), due_at=at(2026, 10, 4, 10))
    assert (left.kind, left.hours, left.minutes) == ("hours", 48, 45)


def test_a_paused_clock_reads_where_it_stopped(cal: WorkCalendar) -> None:
    left = time_left(cal, now=at(2026, 3, 20), due_at=DUE, paused_since=at(2026, 3, 10))
    assert (left.kind, left.working_days, left.hours, left.paused) == ("working_days", 1, 8, True)


def test_time_left_in_new_york_across_dst() -> None:
    cal = WorkCalendar(tz="America/New_York")
    due = at(2026, 3, 9, 18, zone=NEW_YORK)
    left = time_left(cal, now=at(2026, 3, 6, 10, zone=NEW_YORK), due_at=due)
    assert (left.kind, left.working_days, left.hours) == ("working_days", 1, 8)
    close = time_left(cal, now=at(2026, 3, 8, 20, zone=NEW_YORK), due_at=due)
    assert (close.kind, close.hours, close.minutes) == ("hours", 22, 0)


def test_drill_deadlines_read_in_hours_and_minutes_then_lateness_over_a_holiday(
    cal: WorkCalendar, settings_factory: Callable[..., Settings]
) -> None:
    policy = settings_factory().sla.policy("permit", "drill")
    issued = at(2026, 9, 30, 17, 55)  # the eve of the National Day week
    clocks = assignment_clocks(
        cal,
        issued_at=issued,
        completion=policy.completion,
        acknowledgement=policy.acknowledgement,
    )
    due = clocks.complete_by
    # Never "0 working days left": whole minutes, rounded down like lateness.
    fresh = time_left(cal, now=issued, due_at=due)
    assert (fresh.kind, fresh.hours, fresh.minutes) == ("hours", 0, 10)
    almost = time_left(cal, now=due - timedelta(seconds=61), due_at=due)
    assert (almost.kind, almost.hours, almost.minutes) == ("hours", 0, 1)
    # Late by hours and minutes under a day ...
    soon = time_left(cal, now=due + timedelta(hours=1, minutes=7), due_at=due)
    assert (soon.kind, soon.days, soon.hours, soon.minutes) == ("overdue", 0, 1, 7)
    # ... by calendar days over the holiday (no working day has passed yet) ...
    holiday = time_left(cal, now=at(2026, 10, 3, 9), due_at=due)
    assert (holiday.kind, holiday.working_days, holiday.days) == ("overdue", 0, 2)
    # ... and by working days once the holiday ends: the 8th, 9th, make-up Saturday, 12th.
    after = time_left(cal, now=at(2026, 10, 12, 9), due_at=due)
    assert (after.kind, after.working_days) == ("overdue", 4)
