"""Translations: English message ids, Chinese from .po catalogs, Telegram's language codes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

import bot.i18n as i18n
from bot.i18n import catalog, normalize_language, t

PO_HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'


@pytest.fixture
def locales(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A locales folder of our own, so these tests do not depend on the real catalogs."""
    folder = tmp_path / "locales"
    (folder / "zh" / "LC_MESSAGES").mkdir(parents=True)
    monkeypatch.setattr(i18n, "LOCALES", folder)
    catalog.cache_clear()
    yield folder
    catalog.cache_clear()  # the next test reads the real catalogs again


def write_po(locales: Path, name: str, entries: str) -> None:
    path = locales / "zh" / "LC_MESSAGES" / f"{name}.po"
    path.write_text(PO_HEADER + entries, encoding="utf-8")


def test_english_is_the_message_id(locales: Path) -> None:
    write_po(locales, "core", 'msgid "Assignment order"\nmsgstr "交办单"\n')
    assert t("en", "Assignment order") == "Assignment order"
    assert t("zh", "Assignment order") == "交办单"


def test_a_missing_translation_falls_back_to_english(locales: Path) -> None:
    write_po(locales, "core", 'msgid "Assignment order"\nmsgstr "交办单"\n')
    assert t("zh", "Supervision order") == "Supervision order"
    assert t("fr", "Supervision order") == "Supervision order"  # no catalog at all
    assert t(None, "Supervision order") == "Supervision order"


def test_empty_and_fuzzy_translations_are_not_used(locales: Path) -> None:
    write_po(
        locales,
        "core",
        'msgid "Overdue"\nmsgstr ""\n\n#, fuzzy\nmsgid "Completed"\nmsgstr "办结了吗"\n',
    )
    assert t("zh", "Overdue") == "Overdue"
    assert t("zh", "Completed") == "Completed"


def test_every_po_file_of_a_language_is_merged(locales: Path) -> None:
    write_po(locales, "core", 'msgid "Slow action"\nmsgstr "慢作为"\n')
    write_po(locales, "registration", 'msgid "Inaction"\nmsgstr "不作为"\n')
    assert (t("zh", "Slow action"), t("zh", "Inaction")) == ("慢作为", "不作为")


def test_placeholders_are_filled(locales: Path) -> None:
    write_po(
        locales,
        "core",
        '#, python-brace-format\nmsgid "Assigned to {dept} ({number})"\n'
        'msgstr "交办给{dept}（{number}）"\n',
    )
    params = {"dept": "县发改委", "number": "2026-0001"}
    assert t("zh", "Assigned to {dept} ({number})", **params) == "交办给县发改委（2026-0001）"
    assert t("en", "Assigned to {dept} ({number})", **params) == (
        "Assigned to 县发改委 (2026-0001)"
    )
    assert t("zh", "Due {when}", when="18:00") == "Due 18:00"  # untranslated, still filled


def test_without_params_braces_are_left_alone(locales: Path) -> None:
    assert t("en", "Use {curly} braces") == "Use {curly} braces"


def test_a_translation_with_broken_placeholders_falls_back_to_english(
    locales: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_po(locales, "core", 'msgid "Signed for by {dept}"\nmsgstr "{部门}已签收"\n')
    with caplog.at_level(logging.ERROR, logger="bot.i18n"):
        text = t("zh", "Signed for by {dept}", dept="县电力局")
    assert text == "Signed for by 县电力局"  # the user still gets a correct sentence
    assert "bad placeholders" in caplog.text


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("zh-hans", "zh"),
        ("zh-CN", "zh"),
        ("zh_TW", "zh"),
        ("ZH", "zh"),
        ("en-US", "en"),
        ("en", "en"),
        ("en-gb", "en"),
    ],
)
def test_telegram_language_codes_map_to_ours(code: str, expected: str) -> None:
    assert normalize_language(code, "zh") == expected
    assert normalize_language(code, "en") == expected


@pytest.mark.parametrize("code", [None, "", "fr", "ru-RU", "english"])
def test_unsupported_codes_use_the_default(code: str | None) -> None:
    assert normalize_language(code, "en") == "en"
    assert normalize_language(code, "zh") == "zh"
