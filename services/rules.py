"""The rules a running bot applies, built once at start-up and passed to every service."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from bot.settings import SlaPolicy
from models.types import utcnow
from scheduler.calendar import WorkCalendar
from scheduler.reminders import QuietHours

DEFAULT_QUIET = QuietHours()


@dataclass(frozen=True)
class Limits:
    """Numbers an operator may change (settings ``[limits]``)."""

    invitation_validity: timedelta = timedelta(days=7)
    cases_list: int = 20
    queue_list: int = 30
    tasks_list: int = 50
    task_buttons: int = 20


@dataclass(frozen=True)
class InspectionRules:
    """Settings ``[inspections]``: the deduction for an unfiled one, the matching tolerance."""

    unfiled_points: float = 2.0
    match_days: int = 1


@dataclass(frozen=True)
class Assessment:
    """The assessment, and the reports sent by themselves (``[assessment]``, ``[reports]``)."""

    base_score: float = 100.0
    bottom: int = 3
    reports: bool = True
    report_workday: int = 1
    report_at: time = time(9, 0)
    report_roles: tuple[str, ...] = ("supervisor", "dispatcher", "head")
    report_periods: tuple[str, ...] = ("month", "half", "year")


@dataclass(frozen=True)
class Office:
    """An office's name in both languages (``[organisation.*_office]``)."""

    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Offices:
    """Who signs what: supervision orders come from the optimization office, notices (通报)
    from the supervisors' office."""

    optimization: Office = Office("县优化办", "County Optimization Office")
    supervisors: Office = Office("县纪委行政效能室", "Discipline Commission Efficiency Office")


@dataclass(frozen=True)
class Rules:
    """Calendar, SLA policies of the active profile, zone, language, limits and a clock."""

    calendar: WorkCalendar
    policies: Mapping[str, SlaPolicy]
    zone: ZoneInfo
    default_language: str
    conversation_ttl: timedelta
    limits: Limits = Limits()
    clock: Callable[[], datetime] = utcnow
    quiet: QuietHours = DEFAULT_QUIET
    supervision_orders: str = "auto"  # "auto": the sweep issues them; "draft": a dispatcher
    inspections: InspectionRules = InspectionRules()
    assessment: Assessment = Assessment()
    offices: Offices = Offices()

    def __post_init__(self) -> None:
        # A read-only view, so that nobody changes the policies of a running bot in place.
        object.__setattr__(self, "policies", MappingProxyType(dict(self.policies)))

    def now(self) -> datetime:
        """The current instant, timezone-aware UTC (a fixed one in tests)."""
        return self.clock()

    def sla(self, category: str) -> SlaPolicy:
        """The SLA policy for a request category under the active profile."""
        return self.policies[category]

    def at(self, moment: datetime) -> Rules:
        """The same rules with the clock stopped at ``moment``."""
        return dataclasses.replace(self, clock=lambda: moment)
