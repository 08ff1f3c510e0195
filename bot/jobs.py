"""The bot's periodic jobs on PTB's JobQueue; what they do lives in scheduler/ and services/."""

from __future__ import annotations

import logging

from telegram.ext import ContextTypes

from bot.deps import Deps
from scheduler.sweeps import run_sweeps

log = logging.getLogger(__name__)


async def sweep_now(deps: Deps) -> dict[str, int]:
    """Run the sweep off the event loop, then wake the outbox (the job; the sandbox clock)."""
    counts = await deps.db.offload(run_sweeps, deps.db, deps.rules)
    if any(v != 0 for v in counts.values()):
        log.info("sweep: %s", counts)
    deps.kick_outbox()
    return counts


async def sweep_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """JobQueue entry point."""
    deps: Deps = context.application.bot_data["deps"]
    await sweep_now(deps)
