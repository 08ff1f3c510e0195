"""Extensions and pauses: the request to the office, the decisions, the clock resuming."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.textsplit import escape
from services import callbacks
from services.messages.common import Named, Rendered, bold, button, local_time, name_of

__all__ = ["approved", "decision_buttons", "denied", "local_time", "requested", "resumed"]


def decision_buttons(lang: str, change_id: int) -> list[list[dict[str, str]]]:
    return [
        [
            button(lang, "Approve", callbacks.extension("ok", change_id)),
            button(lang, "Deny", callbacks.extension("no", change_id)),
        ]
    ]


def requested(
    lang: str,
    *,
    change_id: int,
    number: str,
    department: Named | None,
    old_due: datetime,
    new_due: datetime,
    reason: str,
    zone: ZoneInfo,
) -> Rendered:
    """extension.requested: to the dispatchers and the park's officers, to decide."""
    text = "\n".join(
        [
            "⏳ "
            + t(
                lang,
                "{department} asks to extend assignment {number}.",
                department=escape(name_of(lang, department)),
                number=bold(number),
            ),
            t(lang, "Current deadline: {due}", due=local_time(old_due, zone=zone)),
            t(lang, "Requested deadline: {due}", due=local_time(new_due, zone=zone)),
            t(lang, "Reason: {reason}", reason=escape(reason)),
        ]
    )
    return text, decision_buttons(lang, change_id)


def approved(
    lang: str, *, number: str, case_number: str, new_due: datetime, zone: ZoneInfo
) -> Rendered:
    """extension.approved: to the liaison, the head and the enterprise."""
    text = "📅 " + t(
        lang,
        "The extension of assignment {number} (case {case}) was approved. New deadline: {due}",
        number=bold(number),
        case=escape(case_number),
        due=local_time(new_due, zone=zone),
    )
    return text, None


def denied(lang: str, *, number: str, due: datetime, reason: str, zone: ZoneInfo) -> Rendered:
    """extension.denied: to the liaison, with the reason; the deadline stays."""
    text = "\n".join(
        [
            "🚫 "
            + t(
                lang,
                "The extension of assignment {number} was denied. The deadline stays {due}.",
                number=bold(number),
                due=local_time(due, zone=zone),
            ),
            t(lang, "Reason: {reason}", reason=escape(reason)),
        ]
    )
    return text, None


def resumed(lang: str, *, number: str, new_due: datetime, zone: ZoneInfo) -> Rendered:
    """deadline.resumed: the enterprise answered, to the liaison."""
    text = "▶️ " + t(
        lang,
        "The enterprise answered; the clock of assignment {number} runs again. New deadline: {due}",
        number=bold(number),
        due=local_time(new_due, zone=zone),
    )
    return text, None
