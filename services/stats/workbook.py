"""The /stats workbook (XLSX): summary, cases, assignments and deductions, headers in ``lang``."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.i18n import N_, t
from services.messages.common import CATEGORY_NAMES
from services.stats.figures import CaseTally, Figures, Tally, Unit
from services.stats.summary import lines, period_title

if TYPE_CHECKING:
    from openpyxl.cell import WriteOnlyCell

# Sheet titles (catalog ids); tests and readers find the sheets by these, translated.
SUMMARY, CASES, ASSIGNMENTS, DEDUCTIONS = (
    N_("Summary"),
    N_("Cases"),
    N_("Assignments"),
    N_("Deductions"),
)
DEDUCTION_KINDS = {
    "slow_action": N_("Slow action"),
    "inaction_veto": N_("Inaction (veto)"),
    "unfiled_inspection": N_("Unfiled inspection"),
    "incompetent": N_("Rated incompetent"),
}


def workbook_xlsx(figures: Figures, *, lang: str) -> bytes:
    """The workbook as XLSX bytes."""
    # Write-only: rows stream out as they are appended (a year's deductions can be thousands).
    # Imported here: the bot's restart (delivery after a crash) must not wait for it.
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    _summary(book.create_sheet(t(lang, SUMMARY)), figures, lang)
    _cases(book.create_sheet(t(lang, CASES)), figures, lang)
    _assignments(book.create_sheet(t(lang, ASSIGNMENTS)), figures, lang)
    _deductions(book.create_sheet(t(lang, DEDUCTIONS)), figures, lang)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _header(sheet: Any, lang: str, labels: Sequence[str]) -> None:
    sheet.append([_bold(sheet, t(lang, label)) for label in labels])


def _bold(sheet: Any, value: str, size: float | None = None) -> WriteOnlyCell:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cell = WriteOnlyCell(sheet, value=value)
    cell.font = Font(bold=True, size=size)
    return cell


def _widths(sheet: Any, widths: Iterable[int]) -> None:
    """Column widths; a write-only sheet takes them before its first row."""
    for column, width in zip("ABCDEFGHIJKLMNOP", widths, strict=False):
        sheet.column_dimensions[column].width = width


def _summary(sheet: Any, figures: Figures, lang: str) -> None:
    _widths(sheet, (34, 12, 12, 10, 10))
    sheet.append([_bold(sheet, period_title(lang, figures), size=13)])
    _header(sheet, lang, (N_("Figure"), N_("Value"), N_("Shown as"), N_("Of"), N_("Out of")))
    for line in lines(figures):
        sheet.append(
            [t(lang, line.label), line.value, line.shown, line.numerator, line.denominator]
        )


def _case_row(name: str, tally: CaseTally) -> list[Any]:
    return [
        name,
        tally.received,
        tally.responded,
        tally.dispatched,
        tally.declined,
        tally.closed,
        tally.satisfied,
        tally.mostly,
        tally.unsatisfied,
        tally.satisfaction_rate.value,
    ]


CASE_HEADERS = (
    N_("Received"),
    N_("Answered"),
    N_("Dispatched"),
    N_("Declined"),
    N_("Closed"),
    N_("Satisfied"),
    N_("Mostly satisfied"),
    N_("Not satisfied"),
    N_("Satisfaction rate"),
)


def _cases(sheet: Any, figures: Figures, lang: str) -> None:
    _widths(sheet, (30, *([11] * len(CASE_HEADERS))))
    _header(sheet, lang, (N_("Category"), *CASE_HEADERS))
    for code in CATEGORY_NAMES:
        tally = figures.cases_by_category.get(code, CaseTally())
        sheet.append(_case_row(t(lang, CATEGORY_NAMES[code]), tally))
    sheet.append(_case_row(t(lang, "Total"), figures.cases))
    sheet.append([])
    _header(sheet, lang, (N_("Park"), *CASE_HEADERS))
    for code, park in figures.parks.items():
        sheet.append(_case_row(park.name(lang), figures.cases_by_park.get(code, CaseTally())))


ASSIGNMENT_HEADERS = (
    N_("Code"),
    N_("Issued"),
    N_("Completed on time"),
    N_("Missed the deadline"),
    N_("Open, within the deadline"),
    N_("Returned"),
    N_("Supervision orders issued"),
    N_("On-time sign-for rate"),
    N_("On-time completion rate"),
    N_("Average working days to complete"),
    N_("Return rate"),
    N_("Reopen rate"),
)


def _assignment_row(unit: Unit, lang: str, tally: Tally) -> list[Any]:
    average = tally.average_working_days
    return [
        unit.name(lang),
        unit.code,
        tally.issued,
        tally.on_time,
        tally.late,
        tally.open,
        tally.returned,
        tally.supervision_orders,
        tally.ack_rate.value,
        tally.completion_rate.value,
        None if average is None else round(average, 2),
        tally.return_rate.value,
        tally.reopen_rate.value,
    ]


def _assignments(sheet: Any, figures: Figures, lang: str) -> None:
    _widths(sheet, (30, 10, *([12] * (len(ASSIGNMENT_HEADERS) - 1))))
    sections = (
        (N_("Department"), figures.departments, figures.by_department),
        (N_("Category"), {c: _category(c, lang) for c in CATEGORY_NAMES}, figures.by_category),
        (N_("Park"), figures.parks, figures.by_park),
    )
    for title, units, tallies in sections:
        _header(sheet, lang, (title, *ASSIGNMENT_HEADERS))
        for code, unit in units.items():
            tally = tallies.get(code)
            if tally is not None or title != N_("Department"):
                sheet.append(_assignment_row(unit, lang, tally or Tally()))
        total = Unit("", t(lang, "Total"), t(lang, "Total"))
        sheet.append(_assignment_row(total, lang, figures.assignments))
        sheet.append([])


def _category(code: str, lang: str) -> Unit:
    name = t(lang, CATEGORY_NAMES[code])
    return Unit(code, name, name)


DEDUCTION_HEADERS = (
    N_("Department"),
    N_("Code"),
    N_("Kind"),
    N_("Points"),
    N_("Year"),
    N_("Half"),
    N_("Assignment"),
    N_("Reason"),
    N_("Recorded"),
)


def _deductions(sheet: Any, figures: Figures, lang: str) -> None:
    _widths(sheet, (30, 10, 18, 8, 8, 6, 22, 50, 18))
    _header(sheet, lang, DEDUCTION_HEADERS)
    zone = ZoneInfo(figures.zone)
    for d in figures.deductions:
        sheet.append(
            [
                d.department.name(lang),
                d.department.code,
                t(lang, DEDUCTION_KINDS.get(d.kind, d.kind)),
                d.points,
                d.year,
                d.half,
                d.assignment or "",
                d.reason,
                d.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            ]
        )
    sheet.append([t(lang, "Total"), "", "", figures.deducted_points])
