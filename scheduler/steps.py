"""The sweep's steps, in order. Importing this module registers them."""

from __future__ import annotations

from sqlmodel import Session

from scheduler.sweeps import SweepContext, step
from services import confirmation, drafts
from services.updates import prune as prune_updates


@step("prune_processed_updates")
def _prune_updates(session: Session, sweep: SweepContext) -> int:
    return prune_updates(session, now=sweep.now)


@step("expire_drafts")
def _expire_drafts(session: Session, sweep: SweepContext) -> int:
    return drafts.expire(session, now=sweep.now, default_language=sweep.default_language)


@step("auto_confirm_cases")
def _auto_confirm(session: Session, sweep: SweepContext) -> int:
    return confirmation.auto_confirm(session, now=sweep.now)
