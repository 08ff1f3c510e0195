"""Translations from gettext catalogs (Babel). Message ids are the English texts.

Every ``locales/<lang>/LC_MESSAGES/*.po`` file is loaded and merged, so each feature keeps
its own catalog. English needs no catalog: the ids are the English texts.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

LOCALES = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ("zh", "en")

log = logging.getLogger(__name__)


def N_(msgid: str) -> str:
    """Mark a text for extraction without translating it now."""
    return msgid


@cache
def catalog(lang: str) -> dict[str, str]:
    """All translations for ``lang`` from its .po files."""
    messages: dict[str, str] = {}
    folder = LOCALES / lang / "LC_MESSAGES"
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as handle:
            po = read_po(handle, locale=lang)
        for message in po:
            if message.id and message.string and not message.fuzzy:
                messages[str(message.id)] = str(message.string)
    return messages


def t(lang: str | None, msgid: str, /, **params: Any) -> str:
    """Translate ``msgid`` into ``lang`` and fill in ``{placeholders}``."""
    text = catalog(lang).get(msgid, msgid) if lang and lang != "en" else msgid
    if not params:
        return text
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        log.error("translation of %r into %s has bad placeholders", msgid, lang)
        return msgid.format(**params)


def normalize_language(code: str | None, default: str) -> str:
    """Map Telegram's language_code (zh-hans, en-US, ...) onto a supported language."""
    if code:
        base = code.lower().replace("_", "-").split("-")[0]
        if base in LANGUAGES:
            return base
    return default
