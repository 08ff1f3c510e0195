"""Messages about delivery itself: someone the bot can no longer reach."""

from __future__ import annotations

from bot.i18n import t
from services.messages.common import Rendered, bold


def blocked(lang: str, *, name: str) -> Rendered:
    """To the dispatchers: Telegram refuses messages to this person."""
    text = t(
        lang,
        "{name} has blocked the bot (or left Telegram): messages to them are not delivered "
        "until they write to the bot again.",
        name=bold(name),
    )
    return "⚠️ " + text, None
