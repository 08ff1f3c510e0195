"""Message extraction and catalog upkeep for duban; needs only Babel and the standard library.

Two parts, both used by scripts/extract-messages.sh (and the extractor by tests/test_catalog.py):

``extract``
    The Babel extraction method that babel.cfg names ``duban_python``: Babel's own Python
    extractor, corrected with the syntax tree of the file:

    * calls nested inside f-strings, e.g. ``f"<b>{ctx.tr('Timeline')}</b>"``, are added
      (on Python < 3.12 Babel's tokenizer sees an f-string as one opaque token);
    * a "message" Babel glued together from string literals that are not the message-id
      argument (e.g. the values of a dict literal passed to ``tr``) is dropped, with a warning;
    * Babel's warning about f-strings anywhere in a call (also harmless ones such as
      ``number=f"<b>{n}</b>"``) is replaced by one that names only f-strings, concatenations
      and ``.format``/``%`` expressions in the message-id position: those are real problems.

``python scripts/babel_duban.py sync``
    Brings ``locales/zh/LC_MESSAGES/core.po`` up to date with ``locales/duban.pot``: every
    extracted msgid that no other zh catalog (e.g. registration.po) translates is added,
    untranslated, and source references are refreshed. Entries that another zh catalog now
    translates are removed (one translation per text); entries no longer extracted are kept
    and listed (the code may still use them without marking them).
"""

from __future__ import annotations

import ast
import contextlib
import io
import sys
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_python
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "locales" / "duban.pot"
ZH = ROOT / "locales" / "zh" / "LC_MESSAGES"
CORE = ZH / "core.po"
HEADER = """\
# Simplified Chinese texts of duban (督办), except enterprise registration (registration.po).
# Refresh with scripts/extract-messages.sh, then translate the empty entries."""

# -- extraction ------------------------------------------------------------------------------


def _msgid_index(spec: Any) -> int:
    """0-based position of the message id in a parsed Babel keyword spec."""
    if isinstance(spec, dict):  # {arity: spec}; duban only uses "all arities"
        spec = spec.get(None, next(iter(spec.values()), None))
    if not spec:
        return 0
    first = spec[0]
    return (spec[1] if isinstance(first, tuple) else first) - 1


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _inside_fstring(tree: ast.AST) -> set[int]:
    """ids of the Call nodes that sit inside an f-string."""
    nested: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            nested.update(id(n) for n in ast.walk(node) if isinstance(n, ast.Call))
    return nested


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


def keyword_calls(
    tree: ast.AST, indexes: Mapping[str, int]
) -> Iterator[tuple[int, str, ast.expr | None, bool]]:
    """(line, keyword, message-id argument or None, nested in an f-string) for every call."""
    nested = _inside_fstring(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        if name not in indexes:
            continue
        index = indexes[name]
        arg = node.args[index] if len(node.args) > index else None
        if isinstance(arg, ast.Starred):
            arg = None
        yield node.lineno, name, arg, id(node) in nested


def problems(source: str | bytes, indexes: Mapping[str, int]) -> list[tuple[int, str]]:
    """(line, text) for every keyword call whose message id is computed from a literal."""
    found = []
    for lineno, name, arg, _ in keyword_calls(ast.parse(source), indexes):
        why = _problem(arg) if arg is not None else None
        if why:
            found.append((lineno, f"the message id given to {name}() is {why}"))
    return sorted(found)


def keyword_indexes(keywords: Collection[str], options: Mapping[str, Any]) -> dict[str, int]:
    specs = options.get("keywords") or {}
    return {name: _msgid_index(specs.get(name)) for name in keywords}


def extract(
    fileobj: Any,
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str, Any, list[str]]]:
    """Babel extraction method: see the module docstring."""
    source = fileobj.read()
    filename = getattr(fileobj, "name", None) or "(unknown)"
    quiet = io.StringIO()
    with contextlib.redirect_stderr(quiet):  # its f-string warnings: replaced below
        found = list(extract_python(io.BytesIO(source), keywords, comment_tags, options))
    try:
        tree = ast.parse(source)
    except SyntaxError:
        sys.stderr.write(quiet.getvalue())
        yield from found
        return
    indexes = keyword_indexes(keywords, options)
    literal: set[tuple[str, str]] = set()
    nested: list[tuple[int, str, str]] = []
    reported: set[int] = set()
    for lineno, name, arg, in_fstring in keyword_calls(tree, indexes):
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            literal.add((name, arg.value))
            if in_fstring:
                nested.append((lineno, name, arg.value))
        elif arg is not None and (why := _problem(arg)):
            reported.add(lineno)
            sys.stderr.write(
                f"{filename}:{lineno}: warning: the message id given to {name}() is {why}; "
                "it cannot be extracted or translated. Pass a literal with {placeholders}.\n"
            )
    seen: set[tuple[str, str]] = set()
    for lineno, funcname, messages, comments in found:
        values = messages if isinstance(messages, list | tuple) else (messages,)
        index = indexes.get(funcname, 0)
        message = values[index] if len(values) > index else None
        if message is not None and (funcname, message) not in literal:
            if lineno in reported:
                continue
            sys.stderr.write(
                f"{filename}:{lineno}: warning: dropped {message!r}: it is not a string "
                f"literal in the message-id position of {funcname}(). Mark such texts with "
                "N_() where they are written.\n"
            )
            continue
        if message is not None:
            seen.add((funcname, message))
        yield lineno, funcname, messages, comments
    for lineno, name, message in nested:
        if sys.version_info < (3, 12) or (name, message) not in seen:
            yield lineno, name, (None,) * indexes[name] + (message,), []


# -- core.po upkeep --------------------------------------------------------------------------


def _read(path: Path, locale: str | None = "zh") -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def translated(catalog: Catalog) -> dict[str, str]:
    return {
        str(m.id): str(m.string)
        for m in catalog
        if m.id and isinstance(m.id, str) and m.string and not m.fuzzy
    }


def sync() -> int:
    template = _read(POT, locale=None)
    others: dict[str, str] = {}
    for path in sorted(ZH.glob("*.po")):
        if path != CORE:
            for msgid in translated(_read(path)):
                others.setdefault(msgid, path.name)
    if CORE.exists():
        core = _read(CORE)
    else:
        core = Catalog(
            locale="zh",
            project="duban",
            version="0.1",
            header_comment=HEADER,
            last_translator="duban",
            language_team="duban",
            charset="utf-8",
            fuzzy=False,
        )
    added, refreshed, elsewhere = [], 0, []
    for message in template:
        if not message.id:
            continue
        msgid = str(message.id)
        if msgid in others:
            if msgid in core:  # the feature's own catalog has it now: one translation only
                elsewhere.append((msgid, others[msgid]))
                core.delete(msgid)
            continue
        entry = core.get(msgid)
        flags = set(message.flags) - {"fuzzy"}
        if entry is None:
            core.add(
                msgid,
                "",
                locations=message.locations,
                auto_comments=message.auto_comments,
                flags=flags,
            )
            added.append(msgid)
        else:
            entry.locations = list(message.locations)
            entry.auto_comments = list(message.auto_comments)
            entry.flags |= flags
            refreshed += 1
    extracted = {str(m.id) for m in template if m.id}
    stale = [str(m.id) for m in core if m.id and str(m.id) not in extracted]
    with CORE.open("wb") as handle:
        write_po(handle, core, width=100, sort_by_file=True, ignore_obsolete=True)
    untranslated = [str(m.id) for m in core if m.id and not m.string]
    print(
        f"{CORE.relative_to(ROOT)}: {len(added)} new, {refreshed} refreshed, "
        f"{len(elsewhere)} removed."
    )
    for msgid, where in elsewhere:
        print(f"  removed, {where} translates it: {msgid!r}")
    for msgid in stale:
        print(f"  not extracted (keep only if the code uses it unmarked): {msgid!r}")
    if untranslated:
        print(f"{len(untranslated)} to translate in {CORE.relative_to(ROOT)}:")
        for msgid in untranslated:
            print(f"  {msgid!r}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["sync"]:
        sys.exit(f"usage: {sys.argv[0]} sync")
    sys.exit(sync())
