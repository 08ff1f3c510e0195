"""Translations from gettext catalogs (Babel). Message ids are the English texts.

Every ``locales/<lang>/LC_MESSAGES/*.po`` file is loaded and merged, so each feature keeps
its own catalog. English needs no catalog: the ids are the English texts.
"""

from __future__ import annotations

import gettext
import logging
from collections.abc import Callable
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


def _read(lang: str) -> list[Any]:
    catalogs = []
    for path in sorted((LOCALES / lang / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            catalogs.append(read_po(handle, locale=lang))
    return catalogs


@cache
def catalog(lang: str) -> dict[str, str]:
    """All (singular) translations for ``lang`` from its .po files."""
    messages: dict[str, str] = {}
    for po in _read(lang):
        for message in po:
            if isinstance(message.id, str) and message.id and message.string and not message.fuzzy:
                messages[message.id] = str(message.string)
    return messages


@cache
def plural_catalog(lang: str) -> tuple[dict[str, tuple[str, ...]], Callable[[int], int]]:
    """Plural translations keyed by the singular id, and the language's plural rule."""
    plurals: dict[str, tuple[str, ...]] = {}
    rule: Callable[[int], int] = gettext.c2py("n != 1")
    for po in _read(lang):
        rule = gettext.c2py(po.plural_expr)
        for message in po:
            if isinstance(message.id, tuple | list) and not message.fuzzy:
                forms = tuple(str(s) for s in message.string)
                if all(forms):
                    plurals[str(message.id[0])] = forms
    return plurals, rule


def _fill(msgid: str, text: str, lang: str | None, params: dict[str, Any]) -> str:
    if not params:
        return text
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        log.error("translation of %r into %s has bad placeholders", msgid, lang)
        return msgid.format(**params)


def t(lang: str | None, msgid: str, /, **params: Any) -> str:
    """Translate ``msgid`` into ``lang`` and fill in ``{placeholders}``."""
    text = catalog(lang).get(msgid, msgid) if lang and lang != "en" else msgid
    return _fill(msgid, text, lang, params)


def tn(lang: str | None, singular: str, plural: str, n: int, /, **params: Any) -> str:
    """ngettext: the form of ``singular``/``plural`` that ``n`` needs in ``lang``, filled in."""
    english = singular if n == 1 else plural
    text = english
    if lang and lang != "en":
        plurals, rule = plural_catalog(lang)
        forms = plurals.get(singular)
        if forms:
            text = forms[min(rule(n), len(forms) - 1)]
    return _fill(english, text, lang, params)


def normalize_language(code: str | None, default: str) -> str:
    """Map Telegram's language_code (zh-hans, en-US, ...) onto a supported language."""
    if code:
        base = code.lower().replace("_", "-").split("-")[0]
        if base in LANGUAGES:
            return base
    return default
