"""When an assignment's reminders fall due: offsets before the deadline, outside quiet hours."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from scheduler.calendar import WorkCalendar
from scheduler.durations import Duration


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local hours with no reminders, e.g. 21:00-08:00; start == end means none."""

    start: time = time(21, 0)
    end: time = time(8, 0)

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("quiet hours are local wall-clock times; give them without a zone")

    def period(self, calendar: WorkCalendar, moment: datetime) -> tuple[datetime, datetime] | None:
        """The quiet period (UTC) containing ``moment``, or None outside quiet hours."""
        if self.start == self.end:
            return None
        local = calendar.local(moment)
        day, clock = local.date(), local.time().replace(tzinfo=None)
        if self.start < self.end:
            if not self.start <= clock < self.end:
                return None
            first, last = day, day
        elif clock >= self.start:
            first, last = day, day + timedelta(days=1)
        elif clock < self.end:
            first, last = day - timedelta(days=1), day
        else:
            return None
        zone = calendar.zone
        return (
            datetime.combine(first, self.start, tzinfo=zone).astimezone(UTC),
            datetime.combine(last, self.end, tzinfo=zone).astimezone(UTC),
        )


NO_QUIET_HOURS = QuietHours(time(0), time(0))


@dataclass(frozen=True, slots=True)
class ReminderPoint:
    """One reminder of a plan; ``id`` is the offset as written, stable across restarts."""

    id: str
    at: datetime
    last: bool = False  # the last reminder also goes to the department head
    deferred: bool = False  # moved to the end of quiet hours


@dataclass(frozen=True, slots=True)
class ReminderPlan:
    deadline: datetime
    points: tuple[ReminderPoint, ...]


def plan_reminders(
    calendar: WorkCalendar,
    *,
    deadline: datetime,
    offsets: Iterable[Duration | str],
    issued_at: datetime,
    quiet: QuietHours = QuietHours(),
) -> ReminderPlan:
    """The reminders before ``deadline``, in time order; those before the issue are dropped."""
    deadline_quiet = quiet.period(calendar, deadline)
    points: dict[str, tuple[datetime, datetime, ReminderPoint]] = {}
    for offset in offsets:
        duration = Duration.parse(offset)
        at = calendar.subtract(deadline, duration)
        # A reminder meant for before the assignment existed would only repeat a later one.
        if at < issued_at or at >= deadline:
            continue
        period = quiet.period(calendar, at)
        deferred = period is not None and period != deadline_quiet
        send_at = period[1] if period is not None and deferred else at
        point = ReminderPoint(str(duration), send_at, deferred=deferred)
        points[str(duration)] = (send_at, at, point)
    # Reminders deferred to the same morning keep their order: the nearer offset comes last.
    ordered = [entry[2] for entry in sorted(points.values(), key=lambda e: (e[0], e[1]))]
    if ordered:
        final = ordered[-1]
        ordered[-1] = ReminderPoint(final.id, final.at, last=True, deferred=final.deferred)
    return ReminderPlan(deadline=deadline, points=tuple(ordered))


@dataclass(frozen=True, slots=True)
class DueReminders:
    """What a sweep does with a plan at ``now``.

    send: the one reminder to send now (the latest due; older unsent ones are stale and listed
    in ``superseded`` to be marked done without a message). lost: unsent reminders whose
    deadline has passed, to be folded into the escalation message.
    """

    send: ReminderPoint | None
    superseded: tuple[ReminderPoint, ...] = ()
    lost: tuple[ReminderPoint, ...] = ()


def due_reminders(plan: ReminderPlan, *, now: datetime, sent: Iterable[str]) -> DueReminders:
    """The plan's reminders due at ``now`` and not yet sent, given the sent points' ids."""
    done = set(sent)
    pending: Sequence[ReminderPoint] = [p for p in plan.points if p.id not in done and p.at <= now]
    if now >= plan.deadline:
        return DueReminders(send=None, lost=tuple(pending))
    if not pending:
        return DueReminders(send=None)
    return DueReminders(send=pending[-1], superseded=tuple(pending[:-1]))


def next_reminder_at(plan: ReminderPlan, *, sent: Iterable[str]) -> datetime | None:
    """When the next unsent reminder falls due (for an indexed 'next due' column)."""
    done = set(sent)
    return min((p.at for p in plan.points if p.id not in done), default=None)
