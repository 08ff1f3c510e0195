"""Statistics of a period (/stats, `duban stats`, the monthly reports): figures, chart, workbook."""

from __future__ import annotations

from services.stats.compute import compute
from services.stats.figures import CaseTally, DeductionLine, Figures, Rate, Tally, Unit

__all__ = ["CaseTally", "DeductionLine", "Figures", "Rate", "Tally", "Unit", "compute"]
