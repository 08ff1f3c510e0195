"""The periodic sweep: derives reminders, escalations and expiries from stored deadlines.

Each step is an idempotent service function: running it twice at the same instant, or after a
restart, queues nothing twice (outbox dedupe keys) and changes nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session
from telegram.ext import ContextTypes

from bot.deps import Deps
from bot.settings import SlaPolicy
from models.types import utcnow
from scheduler.calendar import WorkCalendar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepContext:
    now: datetime
    calendar: WorkCalendar
    policy: Callable[[str], SlaPolicy]
    default_language: str


Step = Callable[[Session, SweepContext], int]
STEPS: list[tuple[str, Step]] = []


def step(name: str) -> Callable[[Step], Step]:
    """Register a sweep step (services register theirs when imported by scheduler.steps)."""

    def decorate(fn: Step) -> Step:
        STEPS.append((name, fn))
        return fn

    return decorate


def run_sweeps(deps: Deps, *, now: datetime | None = None) -> dict[str, int]:
    """Run every step, each in its own transaction; one failing step does not stop the rest."""
    import scheduler.steps  # noqa: F401  (registers the steps)

    sweep = SweepContext(
        now=now or utcnow(),
        calendar=deps.calendar,
        policy=deps.policy,
        default_language=deps.settings.i18n.default_language,
    )
    counts: dict[str, int] = {}
    for name, fn in STEPS:
        try:
            counts[name] = deps.db.call(fn, sweep)
        except Exception:
            log.exception("sweep step %s failed", name)
            counts[name] = -1
    return counts


async def sweep_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """JobQueue entry point: run the sweep off the event loop, then wake the outbox."""
    deps: Deps = context.application.bot_data["deps"]
    counts = await deps.db.offload(run_sweeps, deps)
    if any(v != 0 for v in counts.values()):
        log.info("sweep: %s", counts)
    deps.kick_outbox()
