"""An assignment's two clocks: first deadlines, extensions, pauses and the time left."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from scheduler.calendar import WorkCalendar
from scheduler.durations import Duration

DAY = timedelta(days=1)


class ClockError(ValueError):
    """A change to an assignment's clock that the rules do not allow."""


class ExtensionTooLate(ClockError):
    """An extension asked for at or after the deadline it would move."""


class ExtensionNotLater(ClockError):
    """An extension whose new deadline is not after the current one."""


class PauseAfterDeadline(ClockError):
    """A pause starting at or after the deadline: the clock has already run out."""


class ResumeBeforePause(ClockError):
    """A resume dated before its pause."""


@dataclass(frozen=True, slots=True)
class Clocks:
    """When an assignment must be signed for, and when it must be completed."""

    acknowledge_by: datetime
    complete_by: datetime


Chosen = Duration | str | date | datetime


def _deadline(calendar: WorkCalendar, issued_at: datetime, chosen: Chosen) -> datetime:
    if isinstance(chosen, datetime):
        return chosen.astimezone(UTC)
    if isinstance(chosen, date):
        return calendar.due_on(chosen)
    return calendar.add(issued_at, Duration.parse(chosen))


def assignment_clocks(
    calendar: WorkCalendar,
    *,
    issued_at: datetime,
    completion: Duration | str,
    acknowledgement: Duration | str,
    chosen: Chosen | None = None,
) -> Clocks:
    """Both deadlines from the category's defaults, or the span or date chosen at dispatch."""
    due = _deadline(calendar, issued_at, completion if chosen is None else chosen)
    # Signing for cannot be due after the work itself.
    ack = min(calendar.add(issued_at, Duration.parse(acknowledgement)), due)
    return Clocks(acknowledge_by=ack, complete_by=due)


def extended_due(
    calendar: WorkCalendar, *, now: datetime, due_at: datetime, requested: str | date | datetime
) -> datetime:
    """The new deadline an extension request asks for, checked against the current one."""
    if now >= due_at:
        raise ExtensionTooLate("an extension must be asked for before the deadline")
    if isinstance(requested, str):
        new_due = calendar.parse_deadline(requested, now=now)
    else:
        new_due = _deadline(calendar, now, requested)
    if new_due <= due_at:
        raise ExtensionNotLater("the new deadline must be later than the current one")
    return new_due


def resumed_due(
    calendar: WorkCalendar, *, due_at: datetime, paused_from: datetime, resumed_at: datetime
) -> datetime:
    """The deadline after a pause: moved by the working-day time the clock stood still."""
    if paused_from >= due_at:
        raise PauseAfterDeadline("the completion clock can only be paused before the deadline")
    if resumed_at < paused_from:
        raise ResumeBeforePause("the clock cannot resume before it was paused")
    return calendar.after_working_time(due_at, calendar.working_time(paused_from, resumed_at))


def due_after_pauses(
    calendar: WorkCalendar,
    *,
    due_at: datetime,
    pauses: Iterable[tuple[datetime, datetime | None]],
    now: datetime,
) -> datetime:
    """The deadline after every pause in order; a pause still open counts up to ``now``."""
    for paused_from, resumed_at in sorted(pauses, key=lambda p: p[0]):
        end = resumed_at if resumed_at is not None else max(now, paused_from)
        due_at = resumed_due(calendar, due_at=due_at, paused_from=paused_from, resumed_at=end)
    return due_at


Kind = Literal["working_days", "hours", "overdue"]


@dataclass(frozen=True, slots=True)
class TimeLeft:
    """Time to a deadline as numbers for the renderer; which fields matter depends on kind.

    working_days: whole working days after today up to the deadline's day, and ``hours`` left
    in today's working day; hours: under a day away (or no working day before it), ``hours``
    and ``minutes`` (whole minutes, rounded down, as lateness is); overdue: ``days``,
    ``hours`` and ``minutes`` late, and ``working_days`` late.
    """

    kind: Kind
    working_days: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    paused: bool = False
    remaining: timedelta = timedelta(0)  # negative once overdue; for sorting


def time_left(
    calendar: WorkCalendar, *, now: datetime, due_at: datetime, paused_since: datetime | None = None
) -> TimeLeft:
    """How long until ``due_at``; a paused clock is read at the moment it stopped."""
    paused = paused_since is not None
    at = paused_since if paused_since is not None else now
    remaining = due_at - at
    if remaining <= timedelta(0):
        late = -remaining
        return TimeLeft(
            "overdue",
            working_days=-calendar.working_days_left(at, due_at),
            days=late.days,
            hours=late.seconds // 3600,
            minutes=late.seconds % 3600 // 60,
            paused=paused,
            remaining=remaining,
        )
    working_days = calendar.working_days_left(at, due_at)
    # A deadline on a day off with no working day before it (a span in calendar days) would
    # read "0 working days": show the hours instead.
    if remaining < DAY or working_days < 1:
        # Whole minutes, rounded down like lateness (under a minute reads "less than a minute").
        minutes = remaining // timedelta(minutes=1)
        return TimeLeft(
            "hours", hours=minutes // 60, minutes=minutes % 60, paused=paused, remaining=remaining
        )
    return TimeLeft(
        "working_days",
        working_days=working_days,
        hours=_hours_left_today(calendar, at),
        paused=paused,
        remaining=remaining,
    )


def _hours_left_today(calendar: WorkCalendar, at: datetime) -> int:
    today = calendar.local(at).date()
    if not calendar.is_workday(today):
        return 0
    left = calendar.end_of_workday(today) - at
    return max(0, left // timedelta(hours=1))
