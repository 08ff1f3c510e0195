"""`duban stats`: the summary on stdout, the chart and the workbook in files."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlmodel import Session
from typer.testing import CliRunner

from bot.cli import app
from bot.db import Database
from bot.i18n import t
from services.stats.workbook import SUMMARY
from tests.rules import RULES
from tests.services.stats_world import NOW, build


@pytest.fixture
def october_db(
    db: Database, session: Session, cli_env: str, monkeypatch: pytest.MonkeyPatch
) -> Database:
    build(session)
    # The CLI's clock stopped where the hand-computed figures were computed.
    monkeypatch.setattr("bot.deps.make_rules", lambda *_a, **_k: RULES.at(NOW))
    return db


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> str:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DUBAN_DATABASE__URL", db_url)
    return db_url


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), prog_name="duban")


def test_stats_prints_the_summary_and_writes_both_files(
    october_db: Database, tmp_path: Path
) -> None:
    xlsx, png = tmp_path / "out.xlsx", tmp_path / "out.png"
    result = invoke("stats", "--period", "2026-10", "--xlsx", str(xlsx), "--png", str(png))
    assert result.exit_code == 0, result.output
    assert "统计 2026-10（2026-10-01 至 2026-10-31）" in result.stdout
    assert "按时办结率: 25.0% (1/4)" in result.stdout
    assert "<b>" not in result.stdout
    assert Image.open(io.BytesIO(png.read_bytes())).format == "PNG"
    sheet = load_workbook(xlsx, read_only=True)[t("zh", SUMMARY)]
    shown = {row[0]: row[2] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert shown["按时办结率"] == "25.0%"
    assert shown["交办单数"] == "7"


def test_stats_in_english_for_a_year(october_db: Database) -> None:
    result = invoke("stats", "--period", "2026", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "Statistics 2026 (2026-01-01 – 2026-12-31)" in result.stdout
    assert "Assignments issued: 8" in result.stdout


def test_stats_refuses_a_period_it_cannot_read(october_db: Database) -> None:
    result = invoke("stats", "--period", "October")
    assert result.exit_code == 2
    assert "a month 2026-10, a half-year 2026H1" in result.stderr
