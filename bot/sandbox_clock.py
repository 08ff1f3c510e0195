"""The sandbox clock: real UTC time plus an offset that only grows, and its user-side API.

Only bot/sandbox_mode.py wires this in; a bot with a real token keeps Rules' plain UTC clock.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from bot.deps import Deps
from bot.jobs import sweep_now
from models.types import utcnow
from sandbox.control import ControlError
from sandbox.state import World
from scheduler.calendar import WorkCalendar
from scheduler.durations import Duration
from services.deadlines.upcoming import next_deadline

if TYPE_CHECKING:
    from bot.sandbox_mode import SandboxRunner

T = TypeVar("T")
# "next" lands just past the deadline, so the sweep finds it missed.
PAST_DEADLINE = timedelta(minutes=1)
# A demo moves hours, days or weeks. Beyond these the holiday calendar knows nothing, and far
# beyond them dates overflow; only a demo reset brings the clock back.
MAX_MOVE = timedelta(days=366)
MAX_AHEAD = timedelta(days=10 * 366)
TOO_FAR = "the sandbox clock moves at most 366 days at a time"


def sandbox_clock(world: World) -> Callable[[], datetime]:
    """Rules' clock in the sandbox: real time plus the world's offset."""

    def now() -> datetime:
        return utcnow() + timedelta(seconds=world.clock_offset)

    return now


def working_days_later(calendar: WorkCalendar, moment: datetime, count: int) -> datetime:
    """The same local wall-clock time ``count`` working days later."""
    local = calendar.local(moment)
    day = local.date()
    for _ in range(count):
        day += timedelta(days=1)
        while not calendar.is_workday(day):
            day += timedelta(days=1)
    return datetime.combine(day, local.time(), tzinfo=calendar.zone).astimezone(UTC)


def check_span(span: str) -> Duration:
    """A forward move such as 1h, 3d or 1wd; ValueError if unreadable or beyond MAX_MOVE."""
    duration = Duration.parse(span)
    if duration.is_working_days:
        too_far = duration.amount > MAX_MOVE.days  # fewer working days than days in a span
    else:
        too_far = duration.amount > MAX_MOVE.total_seconds()  # no overflow in as_timedelta
        too_far = too_far or duration.as_timedelta() > MAX_MOVE
    if too_far:
        raise ValueError(f"{TOO_FAR}, not {span.strip()}")
    return duration


def later(calendar: WorkCalendar, moment: datetime, span: str) -> datetime:
    """``moment`` moved forward by ``span`` (see check_span); ValueError if it cannot be."""
    duration = check_span(span)
    if duration.is_working_days:
        return working_days_later(calendar, moment, duration.amount)
    return moment + duration.as_timedelta()


def iso(moment: datetime) -> str:
    """ISO 8601 to the second."""
    return moment.isoformat(timespec="seconds")


class ClockControl:
    """The sandbox's clock, sweep and reset for the emulator's user-side API."""

    def __init__(self, runner: SandboxRunner) -> None:
        self.runner = runner
        self._moving = asyncio.Lock()

    def _deps(self) -> Deps:
        deps = self.runner.deps
        if deps is None:
            raise ControlError(
                503, "the bot is starting (or the demo is being reset); try again in a moment"
            )
        return deps

    async def _on_bot_loop(self, coro: Coroutine[Any, Any, T]) -> T:
        loop = self.runner.loop
        assert loop is not None
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))

    async def _next_deadline(self, deps: Deps, now: datetime) -> datetime | None:
        return await asyncio.to_thread(deps.db.call, next_deadline, now=now)

    async def clock(self) -> dict[str, Any]:
        """{"now", "local", "zone", "offset_seconds", "next_deadline"}."""
        deps = self._deps()
        now = deps.rules.now()
        upcoming = await self._next_deadline(deps, now)
        return {
            "now": iso(now),
            "local": iso(now.astimezone(deps.rules.zone)),
            "zone": deps.rules.zone.key,
            "offset_seconds": int(self.runner.world.clock_offset),
            "next_deadline": iso(upcoming) if upcoming is not None else None,
        }

    async def _target(self, deps: Deps, now: datetime, body: dict[str, Any]) -> datetime:
        if "seconds" in body and "by" in body:
            raise ControlError(400, 'give either "by" or "seconds", not both')
        if "seconds" in body:
            seconds = body["seconds"]
            if isinstance(seconds, bool) or not isinstance(seconds, int | float):
                raise ControlError(400, "seconds must be a number")
            if not math.isfinite(seconds) or seconds > MAX_MOVE.total_seconds():
                raise ControlError(400, f"{TOO_FAR}, not {seconds} seconds")
            return now + timedelta(seconds=seconds)
        by = body.get("by")
        if not isinstance(by, str) or not by.strip():
            raise ControlError(400, 'give {"by": "1h" | "1wd" | "next"} or {"seconds": n}')
        if by.strip() == "next":
            upcoming = await self._next_deadline(deps, now)
            if upcoming is None:
                raise ControlError(400, "nothing open has a deadline ahead of the sandbox clock")
            return upcoming + PAST_DEADLINE
        if by.strip().startswith("-"):
            raise ControlError(400, "the sandbox clock only moves forward")
        try:
            return later(deps.rules.calendar, now, by)
        except ValueError as exc:
            raise ControlError(400, str(exc)) from None

    async def advance(self, body: dict[str, Any]) -> dict[str, Any]:
        """Move the clock forward as ``body`` says, then run the sweep at once."""
        async with self._moving:
            deps = self._deps()
            now = deps.rules.now()
            target = await self._target(deps, now, body)
            moved = math.ceil((target - now).total_seconds())
            if moved <= 0:
                raise ControlError(
                    400, "the sandbox clock only moves forward: give a positive amount of time"
                )
            world = self.runner.world
            if timedelta(seconds=world.clock_offset + moved) > MAX_AHEAD:
                raise ControlError(
                    400,
                    "the sandbox clock goes at most 10 years ahead; restart the demo to go back",
                )
            world.set_clock_offset(world.clock_offset + moved)
            await self._on_bot_loop(sweep_now(deps))
            return {"now": iso(deps.rules.now()), "moved_seconds": moved}

    async def reset(self) -> dict[str, Any]:
        """A fresh demo database, empty chats and the clock back at real time."""
        async with self._moving:
            await self._on_bot_loop(self.runner.request_reset())
            return {"last_seq": self.runner.world.seq, "offset_seconds": 0}
