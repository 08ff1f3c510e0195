"""Working days on China's official holiday schedule, and deadline arithmetic on top of it."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from scheduler.durations import Duration, Unit
from scheduler.holidays import Coverage, coverage, package_years

log = logging.getLogger(__name__)


class DeadlineError(ValueError):
    """A typed deadline the calendar cannot use; the subclass says why."""


class DeadlineUnreadable(DeadlineError):
    """Not a duration or date the calendar understands."""


class DeadlineInPast(DeadlineError):
    """A deadline at or before now."""


class DeadlineTooFar(DeadlineError):
    """A deadline more than a year ahead."""


_DEADLINE_HELP = (
    "write a duration (5wd, 3d, 48h), a date (2026-12-15, 12-15, 12/15) or 5个工作日, 3天, 12月15日"
)

# Chinese spans; NFKC has already folded full-width digits, so [0-9] is enough.
_CHINESE_SPAN = re.compile(r"^([0-9]+)\s*(个\s*工作日|工作日|天|个\s*小时|小时|分钟)$")
_CHINESE_UNITS: dict[str, Unit] = {"工作日": "wd", "天": "d", "小时": "h", "分钟": "m"}

_DATE_FORMS = [
    re.compile(r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})$"),
    re.compile(r"^(?P<y>[0-9]{4})/(?P<m>[0-9]{1,2})/(?P<d>[0-9]{1,2})$"),
    re.compile(r"^(?P<y>[0-9]{4})\s*年\s*(?P<m>[0-9]{1,2})\s*月\s*(?P<d>[0-9]{1,2})\s*[日号]$"),
    re.compile(r"^(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})$"),
    re.compile(r"^(?P<m>[0-9]{1,2})/(?P<d>[0-9]{1,2})$"),
    re.compile(r"^(?P<m>[0-9]{1,2})\s*月\s*(?P<d>[0-9]{1,2})\s*[日号]$"),
]


def _as_date(value: date | str) -> date:
    # Settings keep these as ISO strings, so accept both.
    if isinstance(value, datetime):
        raise TypeError(f"expected a date, got the datetime {value!r}")
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except (AttributeError, ValueError) as exc:
        raise ValueError(f"{value!r} is not a date; write it as YYYY-MM-DD") from exc


def _require_aware(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got the naive {moment!r}")
    return moment


def _one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return date(day.year + 1, 2, 28)


class WorkCalendar:
    """Working days in one zone: chinese_calendar's schedule, Mon-Fri beyond it, plus overrides."""

    def __init__(
        self,
        *,
        tz: str | ZoneInfo = "Asia/Shanghai",
        workday_end: time = time(18, 0),
        extra_holidays: Iterable[date | str] = (),
        extra_workdays: Iterable[date | str] = (),
    ) -> None:
        self.zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        if workday_end.tzinfo is not None:
            raise ValueError("workday_end is a local wall-clock time; give it without a zone")
        self.workday_end = workday_end
        self.extra_holidays = frozenset(_as_date(d) for d in extra_holidays)
        self.extra_workdays = frozenset(_as_date(d) for d in extra_workdays)
        both = self.extra_holidays & self.extra_workdays
        if both:
            listed = ", ".join(d.isoformat() for d in sorted(both))
            raise ValueError(f"dates listed both as extra holidays and extra workdays: {listed}")
        self._known: dict[date, bool] = {}
        self._warned_years: set[int] = set()

    # -- days -------------------------------------------------------------------------------

    def is_workday(self, day: date) -> bool:
        """Whether people work on this local calendar day."""
        if isinstance(day, datetime):
            raise TypeError("is_workday() takes a date; use local(moment).date() for a moment")
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._decide(day)
        return known

    def _decide(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        if day.year in package_years():
            return chinese_calendar.is_workday(day)
        if day.year not in self._warned_years:
            self._warned_years.add(day.year)
            cover = self.coverage(day.year)
            if not cover.covered:
                log.warning(
                    "no holiday schedule for %d (chinese_calendar has %d-%d; settings lack %s): "
                    "counting weekends only as days off there; list that year's holidays in "
                    "time.extra_holidays and make-up days in time.extra_workdays",
                    day.year,
                    package_years().start,
                    package_years().stop - 1,
                    ", ".join(cover.missing),
                )
        return day.weekday() < 5

    def coverage(self, year: int) -> Coverage:
        """Whether ``year``'s holidays are known, from the package or from settings."""
        return coverage(year, self.extra_holidays)

    def warn_uncovered(self, now: datetime) -> list[int]:
        """Log a warning when this year or next has no holiday schedule; return those years."""
        this_year = self.local(now).year
        uncovered = [y for y in (this_year, this_year + 1) if not self.coverage(y).covered]
        for year in uncovered:
            log.warning(
                "the working-day calendar does not cover %d: deadlines there count weekends "
                "only; add its holidays to time.extra_holidays and its make-up working days "
                "to time.extra_workdays (see `duban calendar %d`)",
                year,
                year,
            )
        return uncovered

    def _on_or_after(self, day: date) -> date:
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def _step(self, day: date, count: int) -> date:
        """The working day ``count`` working days after (or, negative, before) ``day``."""
        step = timedelta(days=1 if count > 0 else -1)
        for _ in range(abs(count)):
            day += step
            while not self.is_workday(day):
                day += step
        return day

    # -- moments ----------------------------------------------------------------------------

    def local(self, moment: datetime) -> datetime:
        """The same instant on the configured zone's wall clock."""
        return _require_aware(moment, "moment").astimezone(self.zone)

    def end_of_workday(self, day: date) -> datetime:
        """The instant (UTC) at which the working day on this local date ends."""
        if isinstance(day, datetime):
            raise TypeError("end_of_workday() takes a date, not a datetime")
        return datetime.combine(day, self.workday_end, tzinfo=self.zone).astimezone(UTC)

    def due_on(self, day: date) -> datetime:
        """A deadline on this date; a day off moves it to the next working day's end."""
        # As in Chinese administrative law: a period ending on a holiday ends on the next
        # working day.
        return self.end_of_workday(self._on_or_after(day))

    def _windows(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The parts of [start, end) that fall on working days (whole local days, DST-safe)."""
        day = self.local(start).date()
        while True:
            day_start = datetime.combine(day, time(0), tzinfo=self.zone).astimezone(UTC)
            if day_start >= end:
                return
            day_end = datetime.combine(
                day + timedelta(days=1), time(0), tzinfo=self.zone
            ).astimezone(UTC)
            if self.is_workday(day):
                yield max(start, day_start), min(end, day_end)
            day += timedelta(days=1)

    def working_time(self, start: datetime, end: datetime) -> timedelta:
        """How much of [start, end) falls on working days; zero when end is not after start."""
        start = _require_aware(start, "start").astimezone(UTC)
        end = _require_aware(end, "end").astimezone(UTC)
        return sum((b - a for a, b in self._windows(start, end) if b > a), timedelta(0))

    def after_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The instant ``amount`` of working-day time after ``start`` (days off do not count)."""
        moment = _require_aware(start, "start").astimezone(UTC)
        left = amount
        if left <= timedelta(0):
            return moment
        day = self.local(moment).date()
        while True:
            day_end = datetime.combine(
                day + timedelta(days=1), time(0), tzinfo=self.zone
            ).astimezone(UTC)
            if self.is_workday(day):
                if moment + left <= day_end:
                    return moment + left
                left -= day_end - moment
            day += timedelta(days=1)
            moment = day_end

    def add(self, start: datetime, duration: Duration | str) -> datetime:
        """The deadline ``duration`` after ``start``; working days end at ``workday_end``."""
        start = _require_aware(start, "start").astimezone(UTC)
        duration = Duration.parse(duration)
        if not duration.is_working_days:
            return start + duration.as_timedelta()
        # Work received on a day off is taken up on the next working day.
        base = self._on_or_after(self.local(start).date())
        if duration.amount == 0:
            deadline = self.end_of_workday(base)
            # After hours, "today" is already over: give the whole next working day.
            if deadline <= start:
                deadline = self.end_of_workday(self._step(base, 1))
            return deadline
        return self.end_of_workday(self._step(base, duration.amount))

    def subtract(self, end: datetime, duration: Duration | str) -> datetime:
        """The moment ``duration`` before ``end``; working days keep the local clock time."""
        end = _require_aware(end, "end").astimezone(UTC)
        duration = Duration.parse(duration)
        if not duration.is_working_days:
            return end - duration.as_timedelta()
        local_end = self.local(end)
        day = local_end.date()
        if duration.amount == 0:
            day = self._step(day, -1) if not self.is_workday(day) else day
        else:
            day = self._step(day, -duration.amount)
        return datetime.combine(day, local_end.time(), tzinfo=self.zone).astimezone(UTC)

    def working_days_left(self, now: datetime, deadline: datetime) -> int:
        """Working days after today up to the deadline's day; negative once it is overdue."""
        today = self.local(now).date()
        due = self.local(deadline).date()
        first, last, sign = (today, due, 1) if due >= today else (due, today, -1)
        span = (last - first).days
        return sign * sum(self.is_workday(first + timedelta(days=i)) for i in range(1, span + 1))

    # -- what a dispatcher types ------------------------------------------------------------

    def parse_deadline(self, text: str, *, now: datetime) -> datetime:
        """Turn ``5wd``, ``3天``, ``12-15`` or ``2026-12-15`` into a deadline (UTC) after now."""
        now = _require_aware(now, "now").astimezone(UTC)
        if not isinstance(text, str) or not text.strip():
            raise DeadlineUnreadable(f"no deadline given; {_DEADLINE_HELP}")
        # Chinese input methods often type full-width digits and slashes.
        cleaned = unicodedata.normalize("NFKC", text).strip()
        today = self.local(now).date()

        day = self._parse_date(cleaned, today)
        if day is not None:
            if day > _one_year_after(today):
                raise DeadlineTooFar(f"{text!r} is more than a year ahead")
            # Judged on the day typed: a past holiday must not roll forward into the future.
            deadline = self.end_of_workday(day)
            if deadline > now:
                deadline = self.due_on(day)
        else:
            duration = self._parse_span(cleaned)
            if duration is None:
                raise DeadlineUnreadable(f"{text!r} is not a deadline; {_DEADLINE_HELP}")
            # Every working day is at least a calendar day, so this bounds the loop in add().
            if duration.is_working_days and duration.amount > 366:
                raise DeadlineTooFar(f"{text!r} is more than a year ahead")
            try:
                deadline = self.add(now, duration)
            except OverflowError as exc:
                raise DeadlineTooFar(f"{text!r} is more than a year ahead") from exc

        if deadline <= now:
            shown = self.local(deadline).strftime("%Y-%m-%d %H:%M")
            raise DeadlineInPast(f"{text!r} is in the past ({shown})")
        if day is None and self.local(deadline).date() > _one_year_after(today):
            raise DeadlineTooFar(f"{text!r} is more than a year ahead")
        return deadline

    @staticmethod
    def _parse_span(text: str) -> Duration | None:
        match = _CHINESE_SPAN.match(text)
        if match:
            unit = re.sub(r"[\s个]", "", match.group(2))
            return Duration(int(match.group(1)), _CHINESE_UNITS[unit])
        try:
            return Duration.parse(text)
        except ValueError:
            return None

    @staticmethod
    def _parse_date(text: str, today: date) -> date | None:
        for form in _DATE_FORMS:
            match = form.match(text)
            if match:
                break
        else:
            return None
        month, day = int(match["m"]), int(match["d"])
        if match.groupdict().get("y"):
            try:
                return date(int(match["y"]), month, day)
            except ValueError:
                raise DeadlineUnreadable(f"{text!r} is not a calendar date") from None
        try:
            date(2000, month, day)  # a leap year, so 2-29 counts as a real date here
        except ValueError:
            raise DeadlineUnreadable(f"{text!r} is not a calendar date") from None
        for year in (today.year, today.year + 1):
            try:
                candidate = date(year, month, day)
            except ValueError:
                continue
            if candidate >= today:
                return candidate
        raise DeadlineUnreadable(f"{text!r} does not occur within the next year")
