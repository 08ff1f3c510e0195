"""``duban calendar [YEAR]`` as an operator reads it."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot import cli_calendar
from bot.cli import app
from tests.conftest import REPO_SETTINGS


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Result]:
    """Invoke the command from an empty directory with the repo's settings, on 29 Nov 2026."""
    for name in list(os.environ):
        if name.upper().startswith("DUBAN_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DUBAN_SETTINGS", str(REPO_SETTINGS))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli_calendar, "_now", lambda: datetime(2026, 11, 29, 8, tzinfo=UTC))

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(app, ["calendar", *args], prog_name="duban")

    return invoke


def lines_with(result: Result, text: str) -> list[str]:
    return [line for line in result.stdout.splitlines() if text in line]


def test_calendar_2026_lists_national_day_and_its_make_up_days(run) -> None:
    result = run("2026")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "coverage: 2026 is covered by chinese_calendar 1.11.0 (2004-2026)" in out
    holidays, makeup = out.split("make-up working days")
    for day in range(1, 8):
        assert f"2026-10-0{day}" in holidays
    assert "2026-10-10 Sat" in makeup
    assert "2026-09-20 Sun" in makeup
    assert "2026-02-14 Sat" in makeup and "2026-02-28 Sat" in makeup
    assert lines_with(result, "2026-10-01")[0].split()[-1] == "package"
    assert "国庆节" in lines_with(result, "2026-10-01")[0]
    assert "holidays (33):" in out
    assert "调休 (6):" in out


def test_calendar_defaults_to_this_year_and_warns_about_next(run) -> None:
    result = run()
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("2026 working-day calendar (Asia/Shanghai")
    warning = lines_with(result, "warning:")
    assert len(warning) == 1
    assert "2027 is NOT covered" in warning[0]
    assert "Spring Festival" in warning[0]


def test_calendar_2027_shows_settings_days_and_no_coverage(run) -> None:
    result = run("2027")
    assert result.exit_code == 0, result.output
    assert "coverage: 2027 is NOT covered" in result.stdout
    new_year = lines_with(result, "2027-01-01")
    assert len(new_year) == 1 and new_year[0].split()[-1] == "settings"
    assert "holidays (1):" in result.stdout
    assert "调休 (0):" in result.stdout


def test_calendar_settings_override_is_shown(
    run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DUBAN_TIME__EXTRA_WORKDAYS", '["2026-10-07"]')
    result = run("2026")
    assert result.exit_code == 0, result.output
    line = lines_with(result, "2026-10-07")[0]
    assert line.endswith("settings (overrides the package)")
    assert line in result.stdout.split("make-up working days")[1]


def test_calendar_refuses_a_year_it_cannot_show(run) -> None:
    result = run("0")
    assert result.exit_code == 2
    assert "not a year" in result.stderr
