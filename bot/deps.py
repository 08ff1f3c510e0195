"""What handlers and jobs share: settings, database, calendar, outbox (no domain state)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.db import Database
from bot.settings import Settings, SlaPolicy
from scheduler.calendar import WorkCalendar

if TYPE_CHECKING:
    from bot.outbox import OutboxWorker


@dataclass
class Deps:
    settings: Settings
    db: Database
    calendar: WorkCalendar
    sla_profile: str
    outbox: OutboxWorker | None = None
    extras: dict[str, object] = field(default_factory=dict)

    def policy(self, category: str) -> SlaPolicy:
        return self.settings.sla.policy(category, self.sla_profile)

    def kick_outbox(self) -> None:
        if self.outbox is not None:
            self.outbox.kick()


def make_calendar(settings: Settings) -> WorkCalendar:
    return WorkCalendar(
        tz=settings.time.timezone,
        workday_end=settings.time.workday_end,
        extra_holidays=settings.time.extra_holidays,
        extra_workdays=settings.time.extra_workdays,
    )
