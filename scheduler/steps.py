"""The sweep's steps, in order, and what each step is given."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from services import confirmation, drafts, reports
from services.deadlines.sweep import sweep as sweep_deadlines
from services.rules import Rules
from services.updates import prune as prune_updates


@dataclass(frozen=True)
class SweepContext:
    """One sweep's rules, with the clock stopped at the instant the sweep started."""

    rules: Rules

    @property
    def now(self) -> datetime:
        return self.rules.now()


Step = Callable[[Session, SweepContext], int]


def _prune_updates(session: Session, sweep: SweepContext) -> int:
    return prune_updates(session, rules=sweep.rules)


def _expire_drafts(session: Session, sweep: SweepContext) -> int:
    return drafts.expire(session, rules=sweep.rules)


def _auto_confirm(session: Session, sweep: SweepContext) -> int:
    return confirmation.auto_confirm(session, rules=sweep.rules)


def _deadlines(session: Session, sweep: SweepContext) -> int:
    return sweep_deadlines(session, rules=sweep.rules)


def _reports(session: Session, sweep: SweepContext) -> int:
    return reports.send_due(session, rules=sweep.rules, attachments=reports.stats_attachments)


STEPS: tuple[tuple[str, Step], ...] = (
    ("prune_processed_updates", _prune_updates),
    ("expire_drafts", _expire_drafts),
    ("auto_confirm_cases", _auto_confirm),
    ("deadlines", _deadlines),
    ("period_reports", _reports),
)
