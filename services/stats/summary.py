"""The headline figures as labelled lines: one list feeds the text, the workbook and the tests."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_, t
from services.stats.figures import Figures, Rate


@dataclass(frozen=True)
class Line:
    """One headline figure: an English label (a catalog id), how it reads, and its parts."""

    label: str
    shown: str  # "71.4%", "3.3", "8": the same in the text and in the workbook
    value: float | None  # the number itself (a share as a fraction), for the spreadsheet
    numerator: float | None = None
    denominator: int | None = None

    @property
    def detail(self) -> str:
        """(5/7) after a rate; empty for a plain count."""
        if self.denominator is None:
            return ""
        return f" ({_number(self.numerator)}/{self.denominator})"


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _count(label: str, value: float) -> Line:
    return Line(label, _number(value), value)


def _rate(label: str, rate: Rate) -> Line:
    return Line(label, rate.percent(), rate.value, rate.numerator, rate.denominator)


def lines(figures: Figures) -> list[Line]:
    """Every headline figure of the summary, in the order the text shows them."""
    a, c = figures.assignments, figures.cases
    average = a.average_working_days
    return [
        _count(N_("Cases received"), c.received),
        _count(N_("Assignments issued"), a.issued),
        _count(N_("Completed on time"), a.on_time),
        _count(N_("Missed the deadline"), a.late),
        _count(N_("Open, within the deadline"), a.open),
        _count(N_("Returned"), a.returned),
        _count(N_("Supervision orders issued"), figures.supervision_orders),
        _count(N_("Supervision orders missed"), figures.supervision_missed),
        _rate(N_("On-time sign-for rate"), a.ack_rate),
        _rate(N_("On-time completion rate"), a.completion_rate),
        Line(
            N_("Average working days to complete"),
            "—" if average is None else f"{average:.1f}",
            None if average is None else round(average, 1),
            None,
            None,
        ),
        _rate(N_("Return rate"), a.return_rate),
        _rate(N_("Reopen rate"), a.reopen_rate),
        _rate(N_("Response rate"), c.response_rate),
        _rate(N_("Resolution rate"), c.resolution_rate),
        _rate(N_("Satisfaction rate"), c.satisfaction_rate),
        _count(N_("Deductions"), len(figures.deductions)),
        _count(N_("Points deducted"), figures.deducted_points),
    ]


def period_title(lang: str, figures: Figures) -> str:
    """Statistics 2026-10 (2026-10-01 – 2026-10-31)."""
    period = figures.period
    return t(
        lang,
        "Statistics {period} ({first} – {last})",
        period=period.code,
        first=period.start.isoformat(),
        last=period.last.isoformat(),
    )
