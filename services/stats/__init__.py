"""Statistics of a period (/stats, `duban stats`, the monthly reports): figures, chart, workbook.

compute(session, *, period, rules) -> Figures; chart_png(figures, *, lang) -> bytes (PNG);
workbook_xlsx(figures, *, lang) -> bytes (XLSX); summary(lang, figures) is the text
(services.messages.stats)."""

from __future__ import annotations

from services.stats.chart import chart_png
from services.stats.compute import compute
from services.stats.figures import CaseTally, DeductionLine, Figures, Rate, Tally, Unit
from services.stats.workbook import workbook_xlsx

__all__ = [
    "CaseTally",
    "DeductionLine",
    "Figures",
    "Rate",
    "Tally",
    "Unit",
    "chart_png",
    "compute",
    "workbook_xlsx",
]
