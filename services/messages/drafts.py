"""Half-finished conversations: the notice that one was discarded."""

from __future__ import annotations

from bot.i18n import N_, t
from services.messages.common import Rendered

CONVERSATION = N_("conversation")


def expired(lang: str, *, what: str | None) -> Rendered:
    """draft.expired: ``what`` is the draft kind's name (an N_ message id), if it has one."""
    text = t(
        lang,
        "Your unfinished {what} was discarded after a period of inactivity. "
        "Nothing was submitted; start again whenever you are ready.",
        what=t(lang, what or CONVERSATION),
    )
    return text, None
