"""``duban calendar [YEAR]``: a year's holidays and make-up working days, and where each is from."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import chinese_calendar
import typer

from scheduler.calendar import WorkCalendar
from scheduler.holidays import ScheduledDay, chinese_name, package_years, year_schedule


def _now() -> datetime:
    """The current instant; tests replace it."""
    return datetime.now(UTC)


def _line(entry: ScheduledDay) -> str:
    name = entry.name or ""
    if entry.name and chinese_name(entry.name):
        name = f"{entry.name} {chinese_name(entry.name)}"
    source: str = entry.source
    if entry.overrides_package:
        source += " (overrides the package)"
    return f"  {entry.day.isoformat()} {entry.day:%a}  {name or '-':<28} {source}"


def _coverage_line(year: int, calendar: WorkCalendar) -> str:
    cover = calendar.coverage(year)
    first, last = package_years().start, package_years().stop - 1
    if cover.source == "package":
        return (
            f"{year} is covered by chinese_calendar {chinese_calendar.__version__} ({first}-{last})"
        )
    if cover.source == "settings":
        return f"{year} is covered by settings (time.extra_holidays, time.extra_workdays)"
    return (
        f"{year} is NOT covered: chinese_calendar has {first}-{last} and settings lack "
        f"{', '.join(cover.missing)}; only weekends and the days listed in settings are off there"
    )


def calendar_command(
    year: Annotated[int | None, typer.Argument(help="The year (default: this year).")] = None,
) -> None:
    """Print a year's holidays and make-up working days (调休) and where each came from."""
    from bot.cli import settings_or_exit
    from bot.deps import make_calendar

    settings = settings_or_exit()
    calendar = make_calendar(settings)
    this_year = calendar.local(_now()).year
    year = this_year if year is None else year
    if not date.min.year <= year <= date.max.year:
        typer.echo(f"duban: {year} is not a year the calendar can show", err=True)
        raise typer.Exit(2)
    entries = year_schedule(year, settings.time.extra_holidays, settings.time.extra_workdays)
    typer.echo(
        f"{year} working-day calendar ({settings.time.timezone}, "
        f"a working day ends at {settings.time.workday_end:%H:%M})"
    )
    typer.echo("coverage: " + _coverage_line(year, calendar))
    holidays = [e for e in entries if not e.workday]
    workdays = [e for e in entries if e.workday]
    typer.echo(f"holidays ({len(holidays)}):")
    for entry in holidays:
        typer.echo(_line(entry))
    typer.echo(f"make-up working days, 调休 ({len(workdays)}):")
    for entry in workdays:
        typer.echo(_line(entry))
    for other in (this_year, this_year + 1):
        if not calendar.coverage(other).covered:
            typer.echo(f"warning: {_coverage_line(other, calendar)}")
