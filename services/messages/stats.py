"""/stats as text: the period, the headline figures, and who missed deadlines."""

from __future__ import annotations

from bot.i18n import t
from bot.textsplit import escape
from services.messages.common import CATEGORY_NAMES
from services.stats.figures import Figures
from services.stats.summary import lines, period_title

MOST_LATE = 5  # the text names this many departments; the workbook has them all


def summary(lang: str, figures: Figures) -> str:
    """The short text /stats answers first (HTML); the chart and workbook follow it."""
    out = ["📊 <b>" + escape(period_title(lang, figures)) + "</b>"]
    out += [escape(t(lang, line.label)) + f": {line.shown}{line.detail}" for line in lines(figures)]
    by_category = [
        t(lang, CATEGORY_NAMES.get(code, code)) + f" {tally.issued}"
        for code, tally in sorted(figures.by_category.items(), key=lambda item: -item[1].issued)
    ]
    if by_category:
        out.append(escape(t(lang, "Assignments by category: {list}", list=", ".join(by_category))))
    late = sorted(
        ((tally.late, code) for code, tally in figures.by_department.items() if tally.late),
        key=lambda item: (-item[0], item[1]),
    )[:MOST_LATE]
    if late:
        named = ", ".join(f"{figures.departments[code].name(lang)} {n}" for n, code in late)
        out.append(escape(t(lang, "Most deadlines missed: {list}", list=named)))
    out.append(escape(t(lang, "Each figure is defined in the README; details in the workbook.")))
    return "\n".join(out)
