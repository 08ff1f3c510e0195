"""What handlers and jobs share: settings, database, rules, outbox (no domain state)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from bot.db import Database
from bot.settings import Settings
from models.types import utcnow
from scheduler.calendar import WorkCalendar
from scheduler.reminders import QuietHours
from services.rules import Assessment, InspectionRules, Limits, Office, Offices, Rules

if TYPE_CHECKING:
    from bot.outbox import OutboxWorker


@dataclass
class Deps:
    settings: Settings
    db: Database
    rules: Rules
    outbox: OutboxWorker | None = None
    extras: dict[str, object] = field(default_factory=dict)

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


def make_rules(
    settings: Settings,
    *,
    sla_profile: str | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Rules:
    """The rules for ``settings`` under ``sla_profile`` (default: the configured one)."""
    profile = sla_profile or settings.sla.profile
    limits = settings.limits
    return Rules(
        calendar=make_calendar(settings),
        policies=settings.sla.profiles[profile],
        zone=settings.time.zone,
        default_language=settings.i18n.default_language,
        conversation_ttl=settings.conversation.timeout.as_timedelta(),
        limits=Limits(
            invitation_validity=limits.invitation_validity.as_timedelta(),
            cases_list=limits.cases_list,
            queue_list=limits.queue_list,
            tasks_list=limits.tasks_list,
            task_buttons=limits.task_buttons,
        ),
        clock=clock,
        quiet=QuietHours(settings.time.quiet_hours_start, settings.time.quiet_hours_end),
        supervision_orders=settings.sla.supervision_orders,
        inspections=InspectionRules(**settings.inspections.model_dump()),
        assessment=Assessment(
            base_score=settings.assessment.base_score,
            bottom=settings.assessment.bottom,
            reports=settings.reports.enabled,
            report_workday=settings.reports.workday,
            report_at=settings.reports.at,
            report_roles=tuple(settings.reports.roles),
            report_periods=tuple(settings.reports.periods),
        ),
        offices=Offices(
            optimization=Office(**settings.organisation.optimization_office.model_dump()),
            supervisors=Office(**settings.organisation.supervisors_office.model_dump()),
        ),
    )
