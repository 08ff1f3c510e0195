"""/stats and `duban stats`: who may ask, which period, and the three renderings."""

from __future__ import annotations

from sqlmodel import Session

from models.enums import COUNTY_ROLES, OVERSIGHT_ROLES
from services import periods
from services.errors import NotAllowed
from services.messages.stats import summary
from services.rules import Rules
from services.stats.chart import chart_png
from services.stats.compute import compute
from services.stats.figures import Figures
from services.stats.workbook import workbook_xlsx
from services.users import Actor

STATS_ROLES = (*COUNTY_ROLES, *OVERSIGHT_ROLES)  # dispatchers (and admins) and supervisors


def period_of(text: str | None, *, rules: Rules) -> periods.Period:
    """The period typed (InvalidInput with the accepted forms if unreadable), or the current
    month in the configured zone when none was."""
    if text and text.strip():
        return periods.parse(text)
    today = rules.calendar.local(rules.now()).date()
    return periods.current(periods.PeriodKind.MONTH, today)


def figures_for(session: Session, *, actor: Actor, period: periods.Period, rules: Rules) -> Figures:
    """The statistics an overseer asked for; NotAllowed for anyone else."""
    if not actor.has(*STATS_ROLES):
        raise NotAllowed("Only supervisors and dispatchers can see the statistics.")
    return compute(session, period=period, rules=rules)


def file_stem(figures: Figures) -> str:
    """duban-stats-2026-10, duban-stats-2026-10-01_2026-10-31: names for the files."""
    return "duban-stats-" + figures.period.code.replace("..", "_")


def text(figures: Figures, *, lang: str) -> str:
    """The summary (HTML)."""
    return summary(lang, figures)


def chart(figures: Figures, *, lang: str) -> bytes:
    """The chart (PNG); CPU-bound, so callers run it off the event loop."""
    return chart_png(figures, lang=lang)


def workbook(figures: Figures, *, lang: str) -> bytes:
    """The workbook (XLSX); CPU-bound, so callers run it off the event loop."""
    return workbook_xlsx(figures, lang=lang)
