"""The /stats picture: assignments per department by outcome, by category, and the rates (PNG)."""

from __future__ import annotations

import io
import threading
from typing import Any

from bot.i18n import N_, t
from services.messages.common import CATEGORY_NAMES
from services.stats.figures import Figures
from services.stats.summary import period_title

# The stacked segments of a department's bar: (Tally field, catalog label, colour).
OUTCOMES = (
    ("on_time", N_("Completed on time"), "#2e7d32"),
    ("late", N_("Missed the deadline"), "#c62828"),
    ("open", N_("Open, within the deadline"), "#1565c0"),
    ("returned", N_("Returned"), "#9e9e9e"),
)
# Where matplotlib puts a title with no tick labels above the axes; given, it skips measuring
# every tick label on each draw to find that out (a fifth of the chart's time).
TITLE_Y = 1.0
# rc_context changes matplotlib's global settings; two charts at once must not mix them.
_RC_LOCK = threading.Lock()


def chart_png(figures: Figures, *, lang: str) -> bytes:
    """The chart as PNG bytes; labels in ``lang`` (English and codes when no CJK font exists)."""
    # Imported here: matplotlib takes seconds to import, and the bot's restart (the outbox's
    # delivery after a crash) must not wait for a library only /stats and reports need.
    from matplotlib import rc_context

    from services.stats.fonts import cjk_family

    family = cjk_family()
    use_codes = family is None
    if use_codes:
        lang = "en"
    # One family (WenQuanYi and Noto CJK have Latin glyphs too): a fallback list would make
    # matplotlib look up every string in each font.
    with (
        _RC_LOCK,
        rc_context({"font.family": family or "DejaVu Sans", "axes.unicode_minus": False}),
    ):
        return _draw(figures, lang=lang, use_codes=use_codes)


def _draw(figures: Figures, *, lang: str, use_codes: bool) -> bytes:
    # The Agg canvas directly, never pyplot: no display, no global figure registry in a server.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    departments = sorted(
        (code for code, tally in figures.by_department.items() if tally.issued),
        key=lambda code: (-figures.by_department[code].issued, code),
    )
    height = 3.2 + max(len(departments), 3) * 0.32
    total = height + 3.6
    # Fixed margins, not constrained layout: that measures every label twice and costs more
    # than drawing; the left margin holds department names of up to about ten characters.
    names = [code if use_codes else figures.departments[code].name(lang) for code in departments]
    fig = Figure(figsize=(11, total), dpi=100)
    grid = fig.add_gridspec(
        2,
        2,
        height_ratios=[height, 3.6],
        left=_left_margin(names),
        right=0.98,
        top=1 - 0.75 / total,
        bottom=0.75 / total,
        hspace=0.9 / (total / 2),
        wspace=0.45,
    )
    fig.suptitle(period_title(lang, figures), fontsize=14)
    _departments(fig.add_subplot(grid[0, :]), figures, departments, names, lang=lang)
    _categories(fig.add_subplot(grid[1, 0]), figures, lang=lang)
    _rates(fig.add_subplot(grid[1, 1]), figures, lang=lang)
    out = io.BytesIO()
    FigureCanvasAgg(fig).print_png(out)
    return out.getvalue()


def _left_margin(names: list[str]) -> float:
    """Room for the longest department name (a Chinese character is about two Latin ones)."""
    widest = max((sum(2 if ord(ch) > 0x2E80 else 1 for ch in n) for n in names), default=8)
    return min(0.4, 0.04 + 0.0085 * widest)


def _departments(
    ax: Any, figures: Figures, departments: list[str], names: list[str], *, lang: str
) -> None:
    """One horizontal bar per department, stacked by outcome, most assignments on top."""
    from matplotlib.ticker import MaxNLocator

    rows = list(range(len(departments)))[::-1]
    left = [0] * len(departments)
    for field, label, colour in OUTCOMES:
        values = [getattr(figures.by_department[code], field) for code in departments]
        ax.barh(rows, values, left=left, color=colour, label=t(lang, label))
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(rows, names)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(t(lang, "Assignments by department"), y=TITLE_Y)
    ax.set_xlabel(t(lang, "Assignments issued"))
    # Above the bars, beside the title: inside the axes it would hide the longest bars.
    ax.figure.legend(loc="upper right", ncol=2, fontsize=8, frameon=False)
    if not departments:
        ax.text(0.5, 0.5, t(lang, "No assignments in this period."), ha="center")


def _categories(ax: Any, figures: Figures, *, lang: str) -> None:
    """Cases received and assignments issued per category, side by side."""
    from matplotlib.ticker import MaxNLocator

    codes = list(CATEGORY_NAMES)
    xs = range(len(codes))
    cases = [figures.cases_by_category.get(c, None) for c in codes]
    assignments = [figures.by_category.get(c, None) for c in codes]
    ax.bar([x - 0.2 for x in xs], [c.received if c else 0 for c in cases], 0.4, color="#6a1b9a")
    ax.bar([x + 0.2 for x in xs], [a.issued if a else 0 for a in assignments], 0.4, color="#ef6c00")
    labels = [t(lang, CATEGORY_NAMES[c]) for c in codes]
    ax.set_xticks(list(xs), labels, fontsize=8, rotation=20, ha="right")
    ax.legend([t(lang, "Cases received"), t(lang, "Assignments issued")], fontsize=8)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(t(lang, "By category"), y=TITLE_Y)


def _rates(ax: Any, figures: Figures, *, lang: str) -> None:
    """The rates as bars from 0 to 100%; a rate with nothing counted shows no bar."""
    a, c = figures.assignments, figures.cases
    rates = [
        (N_("On-time sign-for rate"), a.ack_rate),
        (N_("On-time completion rate"), a.completion_rate),
        (N_("Return rate"), a.return_rate),
        (N_("Reopen rate"), a.reopen_rate),
        (N_("Response rate"), c.response_rate),
        (N_("Resolution rate"), c.resolution_rate),
        (N_("Satisfaction rate"), c.satisfaction_rate),
    ]
    rows = list(range(len(rates)))[::-1]
    values = [(rate.value or 0) * 100 for _, rate in rates]
    ax.barh(rows, values, color="#00838f")
    for row, (_, rate) in zip(rows, rates, strict=True):
        value = (rate.value or 0) * 100
        inside = value > 80  # a long bar carries its figure inside, in white
        x, colour, align = (value - 1, "white", "right") if inside else (value + 1, "black", "left")
        ax.text(x, row, rate.percent(), va="center", ha=align, color=colour, fontsize=8)
    ax.set_yticks(rows, [t(lang, label) for label, _ in rates], fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_title(t(lang, "Rates (%)"), y=TITLE_Y)
