"""The periodic sweep: derives reminders, escalations and expiries from stored deadlines.

Each step is an idempotent service function: running it twice at the same instant, or after a
restart, queues nothing twice (outbox dedupe keys) and changes nothing twice. The job that runs
it on the bot's JobQueue lives with the application (bot/jobs.py); nothing here knows Telegram.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from scheduler.steps import STEPS, SweepContext
from services.rules import Rules

log = logging.getLogger(__name__)
T = TypeVar("T")


class UnitOfWork(Protocol):
    """What the sweep needs of the database: run ``fn(session, ...)`` as one transaction."""

    def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T: ...


def run_sweeps(db: UnitOfWork, rules: Rules) -> dict[str, int]:
    """Run every step, each in its own transaction; one failing step does not stop the rest."""
    # Every step sees the same instant, however long the earlier ones took.
    sweep = SweepContext(rules=rules.at(rules.now()))
    counts: dict[str, int] = {}
    for name, fn in STEPS:
        try:
            counts[name] = db.call(fn, sweep)
        except Exception:
            log.exception("sweep step %s failed", name)
            counts[name] = -1
    return counts
