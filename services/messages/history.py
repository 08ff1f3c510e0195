"""/history: an assignment's timeline, worded like /case's."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.i18n import N_, t
from bot.textsplit import escape
from services.messages.case import TIMELINE, timeline_values
from services.messages.common import assignment_line, bold, local_time

if TYPE_CHECKING:
    from services.history import History

# The events only an assignment's history shows (services.history); the rest are /case's.
HISTORY: dict[str, str] = {
    **TIMELINE,
    "issued": N_("Issued to {dept}, deadline {due}"),
    "completed.late": N_("Completed by {dept} after the deadline: {result}"),
    "reopened": N_("Reopened, the enterprise is not satisfied: {reason}; new deadline {due}"),
    "overdue": N_("Deadline missed: slow action, {points} points off"),
    "supervision": N_("Supervision order {order} issued, deadline {due}"),
    "veto": N_("Supervision order {order} missed: inaction, one-vote veto for {year}"),
    "reminder.ack": N_("Reminder sent: not signed for yet"),
    "reminder.done": N_("Reminder sent, {point} before the deadline"),
}


def history_text(lang: str, history: History, *, zone: ZoneInfo) -> str:
    """The assignment's line, its case, and every step it went through, oldest first."""
    lines = [
        bold(t(lang, "History of assignment {number}", number=escape(history.assignment.number))),
        assignment_line(lang, history.assignment, history.department, zone=zone),
        t(lang, "Case {number}", number=escape(history.case.number)),
    ]
    if history.timeline:
        lines += ["", bold(t(lang, "Timeline"))]
    for when, event, params in history.timeline:
        text = t(lang, HISTORY[event], **timeline_values(lang, params, zone))
        lines.append(local_time(when, zone=zone) + "  " + text)
    return "\n".join(lines)
