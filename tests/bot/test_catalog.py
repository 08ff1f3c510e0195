"""The Chinese catalogs cover every extracted text, and translations keep placeholders and markup.

The extraction is the one scripts/extract-messages.sh runs: stock pybabel, the files babel.cfg
names, the --keyword flags of the script. When a test here fails after you changed texts, run
scripts/extract-messages.sh and translate the empty entries of locales/zh/LC_MESSAGES/core.po
(texts of enterprise registration and invitations go to registration.po).
"""

from __future__ import annotations

import ast
import re
import string
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.util import pathmatch

from bot import i18n

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "babel.cfg"
SCRIPT = ROOT / "scripts" / "extract-messages.sh"
ZH = ROOT / "locales" / "zh" / "LC_MESSAGES"
CJK = re.compile(r"[\u3400-\u9fff]")
# Telegram's HTML tags; a "tag" only counts when the text also closes it, so that usage hints
# such as "/start <code>" or "/case <number>" are not mistaken for markup.
TAG = re.compile(
    r"</?(b|strong|i|em|u|ins|s|strike|del|span|tg-spoiler|tg-emoji|a|code|pre|blockquote)"
    r"(?:\s[^<>]*)?>"
)
LANGUAGE_VARIANT = re.compile(r"_(en|zh)$")
HOW_TO_FIX = (
    "Run scripts/extract-messages.sh, then translate the empty entries of "
    "locales/zh/LC_MESSAGES/core.po."
)


def _keywords() -> dict[str, Any]:
    """The --keyword flags of scripts/extract-messages.sh, parsed as pybabel parses them."""
    flags = re.findall(r"--keyword=(\S+)", SCRIPT.read_text(encoding="utf-8"))
    assert flags, "scripts/extract-messages.sh names no --keyword"
    return parse_keywords(flags)


def _msgid_index(spec: Any) -> int:
    """0-based position of the (singular) message id in a parsed keyword spec."""
    if isinstance(spec, dict):  # {arity: spec}
        spec = spec.get(None, next(iter(spec.values()), None))
    if not spec:
        return 0
    first = spec[0]
    return (first[0] if isinstance(first, tuple) else first) - 1


@dataclass
class Extraction:
    locations: dict[str, list[str]]  # msgid -> ["file:line", ...]
    method_map: list[tuple[str, str]]
    keywords: dict[str, Any]


@dataclass
class Entry:
    file: str
    msgid: str
    string: str
    fuzzy: bool


@pytest.fixture(scope="module")
def extraction() -> Extraction:
    with CONFIG.open() as handle:
        method_map, options_map = parse_mapping_cfg(handle, str(CONFIG))
    keywords = _keywords()
    locations: dict[str, list[str]] = defaultdict(list)
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        for msgid in (message,) if isinstance(message, str) else message:  # plurals: both ids
            locations[msgid].append(f"{filename}:{lineno}")
    assert len(locations) > 100, "extraction found almost nothing: is babel.cfg right?"
    return Extraction(dict(locations), method_map, keywords)


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    """Every message of every zh catalog, in the order bot.i18n merges them."""
    found = []
    for path in sorted(ZH.glob("*.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale="zh")
        for message in catalog:
            if message.id and isinstance(message.id, str):
                found.append(Entry(path.name, message.id, str(message.string), message.fuzzy))
            elif message.id:  # a plural: each id with its translation (zh has one form)
                forms = [str(s) for s in message.string]
                string = forms[0] if forms and all(forms) else ""
                found += [Entry(path.name, str(i), string, message.fuzzy) for i in message.id]
    return found


def _translated(entries: list[Entry]) -> dict[str, str]:
    return {e.msgid: e.string for e in entries if e.string and not e.fuzzy}


def _fields(text: str) -> set[str]:
    """The names of the {placeholders} of ``text``; ValueError if str.format would choke."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _same_value(name: str) -> str:
    """{park_en} and {park_zh}: one value in two languages, and callers pass both."""
    return LANGUAGE_VARIANT.sub("_*", name)


def _where(extraction: Extraction, msgid: str) -> str:
    return ", ".join(extraction.locations.get(msgid, ["?"])[:3])


def test_every_extracted_text_has_a_chinese_translation(
    extraction: Extraction, entries: list[Entry]
) -> None:
    translated = _translated(entries)
    fuzzy = {e.msgid for e in entries if e.fuzzy and e.msgid not in translated}
    missing = sorted(m for m in extraction.locations if m not in translated)
    assert not missing, (
        f"{len(missing)} text(s) without a Chinese translation. {HOW_TO_FIX}\n"
        + "\n".join(
            f"  {m!r}{' (fuzzy)' if m in fuzzy else ''}  ({_where(extraction, m)})" for m in missing
        )
    )


def test_translations_keep_the_placeholders(entries: list[Entry]) -> None:
    wrong = []
    for e in entries:
        if not e.string:
            continue
        try:
            ours, theirs = _fields(e.string), _fields(e.msgid)
            if {_same_value(n) for n in ours} != {_same_value(n) for n in theirs}:
                wrong.append(f"  {e.file}: {e.msgid!r} -> {e.string!r}")
        except ValueError as exc:
            wrong.append(f"  {e.file}: {e.msgid!r} -> {e.string!r}: {exc}")
    assert not wrong, "translations whose {placeholders} differ from the msgid's:\n" + "\n".join(
        wrong
    )


def test_message_ids_are_plain_format_strings(extraction: Extraction) -> None:
    """Literal ids with named {placeholders} only: t() fills them with str.format(**params)."""
    bad = []
    for msgid in extraction.locations:
        try:
            names = _fields(msgid)
        except ValueError as exc:
            bad.append(f"  {msgid!r} ({_where(extraction, msgid)}): {exc}")
            continue
        odd = sorted(n for n in names if not n.isidentifier())
        if odd:
            bad.append(f"  {msgid!r} ({_where(extraction, msgid)}): placeholders {odd}")
    assert not bad, "message ids that str.format(**params) would choke on:\n" + "\n".join(bad)


def _problem(arg: ast.expr) -> str | None:
    """Why ``arg`` in the message-id position cannot be a message id, if it cannot."""
    if isinstance(arg, ast.JoinedStr):
        return "an f-string"
    if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Add | ast.Mod):
        if any(isinstance(side, ast.Constant | ast.JoinedStr) for side in (arg.left, arg.right)):
            return "a string built with + or %"
    if (
        isinstance(arg, ast.Call)
        and isinstance(arg.func, ast.Attribute)
        and arg.func.attr == "format"
        and isinstance(arg.func.value, ast.Constant | ast.JoinedStr)
    ):
        return "a str.format() result"
    return None


def _keyword_calls(extraction: Extraction) -> Iterator[tuple[str, ast.Call, str, bool]]:
    """(file:line, call, keyword, inside an f-string) for every keyword call in scanned files."""
    for pattern, _method in extraction.method_map:
        for path in sorted(ROOT.glob(pattern.split("/**")[0] + "/**/*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if not pathmatch(pattern, relative):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            nested = {
                id(call)
                for node in ast.walk(tree)
                if isinstance(node, ast.JoinedStr)
                for call in ast.walk(node)
                if isinstance(call, ast.Call)
            }
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if name in extraction.keywords:
                    yield f"{relative}:{node.lineno}", node, name, id(node) in nested


def test_no_message_id_is_an_f_string_or_built_at_run_time(extraction: Extraction) -> None:
    found = []
    for where, call, name, _nested in _keyword_calls(extraction):
        index = _msgid_index(extraction.keywords[name])
        arg = call.args[index] if len(call.args) > index else None
        why = _problem(arg) if arg is not None else None
        if why:
            found.append(f"  {where}: the message id given to {name}() is {why}")
    assert not found, (
        "message ids must be literals with {placeholders}, e.g. "
        "ctx.tr('Case {number}', number=n), not f-strings or concatenations:\n" + "\n".join(found)
    )


def test_no_translation_call_sits_inside_an_f_string(extraction: Extraction) -> None:
    """pybabel on Python 3.11 cannot see into f-strings: such a text would go untranslated."""
    found = [
        f"  {where}: {name}() inside an f-string"
        for where, _call, name, nested in _keyword_calls(extraction)
        if nested
    ]
    assert not found, (
        "move translation calls out of f-strings, e.g. '<b>' + ctx.tr('Timeline') + '</b>':\n"
        + "\n".join(found)
    )


def test_translations_keep_the_html_markup(entries: list[Entry]) -> None:
    def tags(text: str) -> list[str]:
        found = [(m.group(0), m.group(1)) for m in TAG.finditer(text)]
        closed = {name for tag, name in found if tag.startswith("</")}
        return sorted(tag for tag, name in found if name in closed)

    def specials(text: str) -> set[str]:
        return {c for c in "<>&" if c in text}

    wrong = []
    for e in entries:
        if not e.string:
            continue
        if tags(e.string) != tags(e.msgid):
            wrong.append(f"  {e.file}: {e.msgid!r} -> {e.string!r}: tags differ")
        elif not specials(e.string) <= specials(e.msgid):
            # texts may be sent as HTML unescaped: a translation must not add < > or &
            wrong.append(f"  {e.file}: {e.msgid!r} -> {e.string!r}: adds < > or &")
    assert not wrong, "translations whose HTML differs from the msgid's:\n" + "\n".join(wrong)


def test_catalogs_agree_and_have_chinese_headers(entries: list[Entry]) -> None:
    """A text translated in two files must read the same: which one wins is file order."""
    seen: dict[str, Entry] = {}
    conflicts = []
    for e in entries:
        if not e.string or e.fuzzy:
            continue
        first = seen.setdefault(e.msgid, e)
        if first.string != e.string:
            conflicts.append(
                f"  {e.msgid!r}: {first.file} {first.string!r} vs {e.file} {e.string!r}"
            )
    assert not conflicts, "one text, two translations:\n" + "\n".join(conflicts)
    for path in sorted(ZH.glob("*.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle)
        assert str(catalog.locale) == "zh", f"{path.name}: Language must be zh"
        assert catalog.charset.lower() == "utf-8", f"{path.name}: charset must be UTF-8"
        assert catalog.num_plurals == 1, f"{path.name}: Plural-Forms must be nplurals=1"


def test_key_texts_read_in_chinese() -> None:
    i18n.catalog.cache_clear()
    glossary = {
        "Sign for": "签收",
        "Complete": "办结",
        "Return": "退回",
        "Permits and approvals": "权证办理",
        "Water and power": "用水用电",
        "Land acquisition and demolition": "征地拆迁",
        "Dispute coordination": "矛盾协调",
        "Other": "其它",
        "Satisfied": "满意",
        "Mostly satisfied": "基本满意",
        "Not satisfied": "不满意",
    }
    for msgid, expected in glossary.items():
        assert i18n.t("zh", msgid) == expected
        assert i18n.t("en", msgid) == msgid
    for msgid, params in [
        ("Assignment order {number}", {"number": "2026-0001-01"}),
        (
            "Your case {number} has been assigned to: {departments}.",
            {"number": "1", "departments": "x"},
        ),
    ]:
        text = i18n.t("zh", msgid, **params)
        assert CJK.search(text), f"{msgid!r} is not translated: {text!r}"
        assert all(str(v) in text for v in params.values())
    assert "交办单" in i18n.t("zh", "Assignment order {number}", number="1")
    overdue = ("overdue by {days} working day", "overdue by {days} working days")
    assert i18n.tn("zh", *overdue, 2, days=2) == "已逾期2个工作日"
    assert i18n.tn("en", *overdue, 1, days=1) == "overdue by 1 working day"
    assert i18n.tn("en", *overdue, 3, days=3) == "overdue by 3 working days"
