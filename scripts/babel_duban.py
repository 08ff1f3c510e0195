"""Catalog upkeep for duban: ``python scripts/babel_duban.py sync`` (needs only Babel).

Run by scripts/extract-messages.sh after stock ``pybabel extract``. Brings
``locales/zh/LC_MESSAGES/core.po`` up to date with ``locales/duban.pot``: every extracted msgid
(plurals included) that no other zh catalog (e.g. registration.po) translates is added,
untranslated, and source references are refreshed. Entries that another zh catalog now
translates are removed (one translation per text); entries no longer extracted are kept and
listed (the code may still use them without marking them).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "locales" / "duban.pot"
ZH = ROOT / "locales" / "zh" / "LC_MESSAGES"
CORE = ZH / "core.po"
HEADER = """\
# Simplified Chinese texts of duban (督办), except enterprise registration (registration.po).
# Refresh with scripts/extract-messages.sh, then translate the empty entries."""

# -- core.po upkeep --------------------------------------------------------------------------


def _read(path: Path, locale: str | None = "zh") -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def _key(msgid: Any) -> str:
    """A plural is keyed by its singular id, as Babel's catalogs do."""
    return msgid if isinstance(msgid, str) else str(msgid[0])


def _done(string: Any) -> bool:
    return bool(string) if isinstance(string, str) else bool(string) and all(string)


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
        msgid = _key(message.id)
        if msgid in others:
            if msgid in core:  # the feature's own catalog has it now: one translation only
                elsewhere.append((msgid, others[msgid]))
                core.delete(msgid)
            continue
        entry = core.get(msgid)
        flags = set(message.flags) - {"fuzzy"}
        if entry is None:
            core.add(
                message.id,
                "" if isinstance(message.id, str) else ("",),
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
    extracted = {_key(m.id) for m in template if m.id}
    stale = [_key(m.id) for m in core if m.id and _key(m.id) not in extracted]
    with CORE.open("wb") as handle:
        write_po(handle, core, width=100, sort_by_file=True, ignore_obsolete=True)
    untranslated = [_key(m.id) for m in core if m.id and not _done(m.string)]
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
