"""The statistics of one period as plain values: what the text, the chart and the workbook show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.periods import Period

SATISFIED_WEIGHT = 1.0
MOSTLY_WEIGHT = 0.9  # "mostly satisfied" counts nine tenths, as in the 12345 hotline's scoring


@dataclass(frozen=True)
class Rate:
    """A share: numerator over denominator; no value when nothing was counted."""

    numerator: float
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    def percent(self) -> str:
        """87.5% (one decimal), or an em dash when the denominator is zero."""
        value = self.value
        return "—" if value is None else f"{value * 100:.1f}%"


@dataclass
class Tally:
    """Assignments of one group (a department, a category, a park or all of them).

    returned + on_time + late + open == issued: every assignment is in exactly one of them."""

    issued: int = 0
    on_time: int = 0  # completed by its deadline, never missed one
    late: int = 0  # missed its completion deadline: completed late, or open and past due
    open: int = 0  # issued or signed for, deadline not yet passed
    returned: int = 0  # sent back to the office as not this department's
    ack_on_time: int = 0
    ack_decided: int = 0  # answered (signed for, completed or returned), or past its sign-for time
    returned_ever: int = 0  # returned at some time (a later re-dispatch keeps the mark)
    reopened: int = 0  # reopened at least once (the enterprise was not satisfied)
    completed_ever: int = 0  # completed now, or completed once and then reopened
    completed: int = 0  # completed now: the ones the average time is taken over
    working_days: float = 0.0  # their working days from issue to completion, summed
    supervision_orders: int = 0  # orders issued in the period (by the order's own issue time)

    def add(self, other: Tally) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def ack_rate(self) -> Rate:
        return Rate(self.ack_on_time, self.ack_decided)

    @property
    def completion_rate(self) -> Rate:
        return Rate(self.on_time, self.on_time + self.late)

    @property
    def return_rate(self) -> Rate:
        return Rate(self.returned_ever, self.issued)

    @property
    def reopen_rate(self) -> Rate:
        return Rate(self.reopened, self.completed_ever)

    @property
    def average_working_days(self) -> float | None:
        return self.working_days / self.completed if self.completed else None


@dataclass(frozen=True)
class Unit:
    """A department, park or category as the renderers name it."""

    code: str
    name_zh: str
    name_en: str

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


@dataclass
class CaseTally:
    """Cases received in the period, with the 12345-style counts."""

    received: int = 0
    responded: int = 0  # dispatched or declined: the county gave an answer
    dispatched: int = 0
    declined: int = 0
    closed: int = 0
    satisfied: int = 0
    mostly: int = 0
    unsatisfied: int = 0

    def add(self, other: CaseTally) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def rated(self) -> int:
        return self.satisfied + self.mostly + self.unsatisfied

    @property
    def response_rate(self) -> Rate:
        return Rate(self.responded, self.received)

    @property
    def resolution_rate(self) -> Rate:
        return Rate(self.closed, self.dispatched)

    @property
    def satisfaction_rate(self) -> Rate:
        score = SATISFIED_WEIGHT * self.satisfied + MOSTLY_WEIGHT * self.mostly
        return Rate(round(score, 6), self.rated)


@dataclass(frozen=True)
class DeductionLine:
    """One deduction counted in the period, traceable to its assignment."""

    department: Unit
    kind: str
    points: float
    year: int
    half: int
    reason: str
    assignment: str | None  # the assignment order's number, if it came from one
    created_at: datetime


@dataclass
class Figures:
    """Everything /stats reports for one period; built by services.stats.compute."""

    period: Period
    computed_at: datetime
    zone: str
    cases: CaseTally = field(default_factory=CaseTally)
    cases_by_category: dict[str, CaseTally] = field(default_factory=dict)
    cases_by_park: dict[str, CaseTally] = field(default_factory=dict)
    assignments: Tally = field(default_factory=Tally)
    by_category: dict[str, Tally] = field(default_factory=dict)
    by_department: dict[str, Tally] = field(default_factory=dict)
    by_park: dict[str, Tally] = field(default_factory=dict)
    departments: dict[str, Unit] = field(default_factory=dict)
    parks: dict[str, Unit] = field(default_factory=dict)
    supervision_orders: int = 0
    supervision_missed: int = 0
    deductions: list[DeductionLine] = field(default_factory=list)

    @property
    def deducted_points(self) -> float:
        return sum(d.points for d in self.deductions)
