"""``duban stats``: a period's statistics as text, and optionally the chart and the workbook."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Annotated

import typer

PERIOD_HELP = "2026-10 (month), 2026H1 (half-year), 2026 (year) or 2026-10-01..2026-10-31."


def _plain(text: str) -> str:
    """The bot's HTML summary as terminal text."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def stats_command(
    period: Annotated[str | None, typer.Option(help=PERIOD_HELP + " Default: this month.")] = None,
    xlsx: Annotated[Path | None, typer.Option(help="Write the workbook (XLSX) here.")] = None,
    png: Annotated[Path | None, typer.Option(help="Write the chart (PNG) here.")] = None,
    lang: Annotated[str, typer.Option(help="zh or en.")] = "zh",
) -> None:
    """Print a period's statistics; --xlsx and --png also write the workbook and the chart."""
    from bot.cli import database_errors, prepare_database, settings_or_exit
    from bot.db import Database
    from bot.deps import make_rules
    from bot.i18n import LANGUAGES, t
    from services.errors import InvalidInput
    from services.messages.stats import summary
    from services.stats import compute
    from services.stats.chart import chart_png
    from services.stats.report import period_of
    from services.stats.workbook import workbook_xlsx

    if lang not in LANGUAGES:
        typer.echo(f"duban: --lang must be one of {', '.join(LANGUAGES)}", err=True)
        raise typer.Exit(2)
    settings = settings_or_exit()
    rules = make_rules(settings)
    try:
        chosen = period_of(period, rules=rules)
    except InvalidInput as exc:
        typer.echo("duban: " + exc.translated(lambda msgid, **kw: t("en", msgid, **kw)), err=True)
        raise typer.Exit(2) from None
    prepare_database(settings)
    db = Database(settings.database.url)
    try:
        with database_errors(settings.database.url):
            figures = db.call(compute, period=chosen, rules=rules)
    finally:
        db.dispose()
    typer.echo(_plain(summary(lang, figures)))
    if png:
        png.write_bytes(chart_png(figures, lang=lang))
        typer.echo(f"chart:    {png}")
    if xlsx:
        xlsx.write_bytes(workbook_xlsx(figures, lang=lang))
        typer.echo(f"workbook: {xlsx}")
