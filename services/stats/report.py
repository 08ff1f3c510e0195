"""/stats and `duban stats`: who may ask, which period, and the three renderings."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Rendered:
    text: str  # HTML
    png: bytes
    xlsx: bytes
    png_name: str
    xlsx_name: str


def render(figures: Figures, *, lang: str) -> Rendered:
    """Text, chart and workbook in ``lang``; CPU-bound, so callers run it off the event loop."""
    stem = "duban-stats-" + figures.period.code.replace("..", "_")
    return Rendered(
        text=summary(lang, figures),
        png=chart_png(figures, lang=lang),
        xlsx=workbook_xlsx(figures, lang=lang),
        png_name=stem + ".png",
        xlsx_name=stem + ".xlsx",
    )
