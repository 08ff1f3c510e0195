"""The /stats text, chart and workbook agree with the figures and with each other."""

from __future__ import annotations

import io
import logging
import warnings

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlmodel import Session

from bot.db import Database
from bot.i18n import t
from services import periods
from services.messages.stats import summary
from services.stats import Figures, compute, fonts
from services.stats.chart import chart_png
from services.stats.summary import lines
from services.stats.workbook import ASSIGNMENTS, CASES, DEDUCTIONS, SUMMARY, workbook_xlsx
from tests.rules import RULES
from tests.services.stats_world import NOW, build

pytestmark = pytest.mark.dialects(
    "sqlite",
    why=(
        "the text, chart and workbook are rendered in Python from figures whose SQL "
        "tests/services/test_stats.py runs on both"
    ),
)


@pytest.fixture
def october(db: Database, session: Session) -> Figures:
    build(session)
    return db.call(compute, period=periods.parse("2026-10"), rules=RULES.at(NOW))


def sheet_rows(data: bytes, title: str) -> list[tuple[object, ...]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return [tuple(row) for row in book[title].iter_rows(values_only=True)]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_text_shows_every_headline_figure(october: Figures, lang: str) -> None:
    text = summary(lang, october)
    assert t(lang, "Statistics {period} ({first} – {last})", period="2026-10", first="2026-10-01",
             last="2026-10-31") in text  # fmt: skip
    assert f"{t(lang, 'On-time completion rate')}: 25.0% (1/4)" in text
    assert f"{t(lang, 'Satisfaction rate')}: 63.3% (1.9/3)" in text
    assert f"{t(lang, 'Assignments issued')}: 7" in text
    power = october.departments["power"].name(lang)
    assert f"{power} 2" in text.splitlines()[-2]  # most deadlines missed: the power bureau


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_workbook_holds_the_numbers_of_the_text(october: Figures, lang: str) -> None:
    data = workbook_xlsx(october, lang=lang)
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == [t(lang, s) for s in (SUMMARY, CASES, ASSIGNMENTS, DEDUCTIONS)]
    summary_rows = {row[0]: row for row in sheet_rows(data, t(lang, SUMMARY))[2:]}
    text = summary(lang, october)
    for line in lines(october):
        label = t(lang, line.label)
        assert f"{label}: {line.shown}" in text
        assert summary_rows[label][2] == line.shown
    assert summary_rows[t(lang, "On-time completion rate")][1:] == (0.25, "25.0%", 1, 4)
    departments = {r[1]: r for r in sheet_rows(data, t(lang, ASSIGNMENTS)) if r and r[1]}
    assert departments["power"][2:8] == (2, 0, 2, 0, 0, 2)
    deductions = sheet_rows(data, t(lang, DEDUCTIONS))
    assert deductions[1][1] == "power" and deductions[1][3] == 2 and deductions[1][6] == "A2"
    assert deductions[-1][3] == 2  # the total


def test_chinese_headers_for_chinese_readers(october: Figures) -> None:
    data = workbook_xlsx(october, lang="zh")
    header = sheet_rows(data, t("zh", ASSIGNMENTS))[0]
    assert all(isinstance(h, str) for h in header)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(header[2]))
    names = [r[0] for r in sheet_rows(data, t("zh", ASSIGNMENTS)) if r and r[1] == "power"]
    assert names == ["县电力局"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_chart_is_a_real_png_with_real_chinese_glyphs(october: Figures, lang: str) -> None:
    assert fonts.cjk_family() is not None, "run scripts/ensure-fonts.sh"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        data = chart_png(october, lang=lang)
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    assert image.size[0] >= 800 and image.size[1] >= 500
    assert len(data) > 20_000  # bars and text, not an empty canvas
    colours = image.convert("RGB").getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 50


def test_without_a_cjk_font_the_chart_uses_codes_and_warns(
    october: Figures, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fonts.cjk_family.cache_clear()
    monkeypatch.setattr(fonts, "CJK_FAMILIES", ("No Such Font",))
    caplog.set_level(logging.WARNING, logger="services.stats.fonts")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # English and codes: no glyph is missing
            data = chart_png(october, lang="zh")
    finally:
        fonts.cjk_family.cache_clear()
    assert Image.open(io.BytesIO(data)).format == "PNG"
    assert "no CJK font found" in caplog.text
