"""The sweep's steps, in order. Importing this module registers them."""

from __future__ import annotations

from sqlmodel import Session

from scheduler.sweeps import SweepContext, step
from services.updates import prune as prune_updates


@step("prune_processed_updates")
def _prune_updates(session: Session, sweep: SweepContext) -> int:
    return prune_updates(session, now=sweep.now)
