"""Joining: what the replaced liaison and the department's heads are told about a takeover."""

from __future__ import annotations

from bot.i18n import t
from bot.textsplit import escape
from services.messages.common import Named, Rendered, name_of


def liaison_replaced(lang: str, *, new: str, department: Named) -> Rendered:
    """liaison.replaced: to the liaison whose role a newcomer took over."""
    text = t(
        lang,
        "{new} has taken over as liaison of {department}. Your liaison role there has ended; "
        "the department's open assignments stay with the department and its new liaison.",
        new=escape(new),
        department=escape(name_of(lang, department)),
    )
    return text, None


def liaison_head_notice(lang: str, *, new: str, department: Named, old: list[str]) -> Rendered:
    """liaison.head_notice: to the department's heads."""
    text = t(
        lang,
        "{new} is now the liaison of {department}, replacing {old}.",
        new=escape(new),
        department=escape(name_of(lang, department)),
        old=escape(", ".join(old)),
    )
    return text, None
