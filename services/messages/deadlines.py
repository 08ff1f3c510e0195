"""Deadline messages: reminders (one digest per person and sweep), overdue, supervision, veto."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.i18n import t, tn
from bot.textsplit import escape
from models import Assignment
from scheduler.deadlines import TimeLeft
from scheduler.durations import Duration
from services import callbacks
from services.messages.assignment import Card, card_text, liaison_buttons
from services.messages.common import (
    Buttons,
    CaseFacts,
    Named,
    Rendered,
    assignment_status,
    bold,
    button,
    case_header,
    duration_text,
    local_time,
    name_of,
    time_left_text,
)

if TYPE_CHECKING:
    from services.deadlines.overdue import Late


@dataclass(frozen=True)
class Reminder:
    """One reminder point of one assignment, for one reader."""

    card: Card
    clock: str  # "ack": not signed for in time; "done": the completion deadline approaches
    left: TimeLeft
    copy: bool = False  # the department head's copy: no buttons


def _headline(lang: str, item: Reminder, *, zone: ZoneInfo) -> str:
    a = item.card.assignment
    number = bold(a.number)
    department = escape(name_of(lang, item.card.department))
    if item.clock == "ack":
        if item.copy:
            return "⏰ " + t(
                lang,
                "Copy: {department} has not signed for assignment {number} (due {due}).",
                department=department,
                number=number,
                due=local_time(a.ack_due_at, zone=zone),
            )
        return "⏰ " + t(
            lang,
            "Assignment {number} is not signed for yet (it was due by {due}).",
            number=number,
            due=local_time(a.ack_due_at, zone=zone),
        )
    left = time_left_text(lang, item.left)
    if item.copy:
        return "⏰ " + t(
            lang,
            "Copy: assignment {number} of {department} is due {due} ({left}).",
            number=number,
            department=department,
            due=local_time(a.due_at, zone=zone),
            left=left,
        )
    return "⏰ " + t(
        lang,
        "Reminder: assignment {number} is due {due} ({left}).",
        number=number,
        due=local_time(a.due_at, zone=zone),
        left=left,
    )


def reminders(lang: str, *, items: Sequence[Reminder], zone: ZoneInfo) -> Rendered:
    """deadline.reminder: one reminder with its card and buttons, or a digest of several."""
    if len(items) == 1:
        item = items[0]
        text = _headline(lang, item, zone=zone) + "\n\n" + card_text(lang, item.card, zone=zone)
        return text, None if item.copy else liaison_buttons(lang, item.card.assignment)
    head = "⏰ " + tn(lang, "{n} reminder", "{n} reminders", len(items), n=len(items))
    lines = [head] + ["• " + _headline(lang, item, zone=zone) for item in items]
    rows: Buttons = []
    for item in items:
        a = item.card.assignment
        if not item.copy and a.id is not None:
            rows.append([{"text": "📋 " + a.number, "data": callbacks.assignment("card", a.id)}])
    return "\n".join(lines), rows or None


@dataclass(frozen=True)
class Miss:
    """What an overdue message says about one assignment."""

    number: str
    department: Named | None
    facts: CaseFacts
    due: datetime
    points: float
    folded: tuple[str, ...] = ()  # reminder points not sent while the bot was down


def overdue(lang: str, *, miss: Miss, buttons: Buttons | None = None, zone: ZoneInfo) -> Rendered:
    """deadline.overdue: the completion deadline passed; slow action recorded."""
    lines = [
        "🔴 "
        + t(
            lang,
            "Assignment {number} ({department}) missed its deadline {due}.",
            number=bold(miss.number),
            department=escape(name_of(lang, miss.department)),
            due=local_time(miss.due, zone=zone),
        ),
        t(
            lang,
            "Slow action (慢作为): {points} points deducted from the department.",
            points=format(miss.points, "g"),
        ),
        case_header(lang, miss.facts),
    ]
    if miss.folded:
        shown = ("、" if lang == "zh" else ", ").join(_reminder_name(lang, p) for p in miss.folded)
        lines.append(
            t(lang, "Reminders whose time passed before they could be sent: {points}", points=shown)
        )
    return "\n".join(lines), buttons


def _reminder_name(lang: str, point: str) -> str:
    """A reminder point as words: the sign-for reminder, or "the one 5 minutes before"."""
    if point == "ack":
        return t(lang, "the sign-for reminder")
    try:
        before = duration_text(lang, Duration.parse(point))
    except ValueError:  # a point from a setting since removed: say it as it was written
        return point
    return t(lang, "the reminder {span} before the deadline", span=before)


def supervision_issued(
    lang: str, *, order: str, due: datetime, card: Card, zone: ZoneInfo, office: Named
) -> Rendered:
    """deadline.supervision: the supervision order, to the liaison (with buttons) and the head."""
    head = "🟠 " + t(
        lang,
        "Supervision order {order} for assignment {number}: complete it by {due}.",
        order=bold(order),
        number=bold(card.assignment.number),
        due=local_time(due, zone=zone),
    )
    warn = t(lang, "Missing this deadline is inaction (不作为): a veto for the year.")
    issuer = t(lang, "Issued by {office}.", office=escape(name_of(lang, office)))
    text = head + "\n" + issuer + "\n" + warn + "\n\n" + card_text(lang, card, zone=zone)
    return text, liaison_buttons(lang, card.assignment)


def supervision_copy(
    lang: str, *, order: str, due: datetime, card: Card, zone: ZoneInfo, office: Named
) -> Rendered:
    """deadline.supervision.copy: the same order, for the head (no buttons)."""
    text, _ = supervision_issued(lang, order=order, due=due, card=card, zone=zone, office=office)
    return text, None


def supervision_for_enterprise(
    lang: str, *, miss: Miss, order: str, due: datetime, zone: ZoneInfo, office: Named
) -> Rendered:
    """deadline.supervision.enterprise: the enterprise hears its matter is under supervision."""
    text = t(
        lang,
        "In your case {case}, assignment {number} of {department} was not completed by its "
        "deadline {missed}. {office} has issued supervision order {order}: it must be completed "
        "by {due}.",
        case=bold(miss.facts.case.number),
        number=bold(miss.number),
        department=escape(name_of(lang, miss.department)),
        missed=local_time(miss.due, zone=zone),
        office=escape(name_of(lang, office)),
        order=bold(order),
        due=local_time(due, zone=zone),
    )
    return "⏱ " + text, None


def veto_for_enterprise(
    lang: str, *, miss: Miss, order: str, due: datetime, zone: ZoneInfo
) -> Rendered:
    """deadline.veto.enterprise: the order was missed too; the matter must still be done."""
    text = t(
        lang,
        "In your case {case}, supervision order {order} of {department} was not completed by "
        "{due} either. The department is found inactive (不作为) and vetoed in this year's "
        "assessment. The assignment must still be completed; you will be told when it is.",
        case=bold(miss.facts.case.number),
        order=bold(order),
        department=escape(name_of(lang, miss.department)),
        due=local_time(due, zone=zone),
    )
    return "⛔ " + text, None


def supervision_draft(
    lang: str, *, miss: Miss, assignment_id: int, due: datetime, zone: ZoneInfo
) -> Rendered:
    """deadline.supervision.draft: to the dispatchers, with a button to issue the order."""
    text, _ = overdue(lang, miss=miss, zone=zone)
    text += "\n" + t(
        lang,
        "A supervision order is drafted with the deadline {due}; issue it?",
        due=local_time(due, zone=zone),
    )
    return text, [
        [button(lang, "Issue the supervision order", callbacks.supervision("iss", assignment_id))]
    ]


def vetoed(
    lang: str, *, order: str, miss: Miss, due: datetime, year: int, zone: ZoneInfo
) -> Rendered:
    """deadline.veto: the supervision order was missed; inaction recorded."""
    lines = [
        "⛔ "
        + t(
            lang,
            "Supervision order {order} for assignment {number} ({department}) was not "
            "completed by {due}.",
            order=bold(order),
            number=bold(miss.number),
            department=escape(name_of(lang, miss.department)),
            due=local_time(due, zone=zone),
        ),
        t(
            lang,
            "Inaction (不作为): the department is vetoed for {year}; its liaison and head are "
            "rated incompetent for {year}.",
            year=year,
        ),
        case_header(lang, miss.facts),
    ]
    return "\n".join(lines), None


def veto_notice(lang: str, *, order: str, miss: Miss, year: int, office: Named) -> Rendered:
    """notice (veto): county-wide, to every liaison and head."""
    head = "📢 " + bold(t(lang, "Notice: a department is vetoed for inaction"))
    body = t(
        lang,
        "{department} did not complete assignment {number} by its deadline nor by supervision "
        "order {order}. Inaction (不作为): it is rated unqualified for {year} (one-vote veto), "
        "and its liaison and head are rated incompetent.",
        department=escape(name_of(lang, miss.department)),
        number=bold(miss.number),
        order=bold(order),
        year=year,
    )
    return head + "\n" + body + "\n— " + escape(name_of(lang, office)), None


def late_line(lang: str, item: Late, *, zone: ZoneInfo) -> str:
    """One line of /overdue: which order, whose, which case, due when, how late."""
    icon = "🟠 " + t(lang, "Supervision order") if item.order else "🔴"
    return t(
        lang,
        "{icon} {number} · {department} · case {case} · due {due} · {late}",
        icon=icon,
        number=bold(item.number),
        department=escape(name_of(lang, item.department)),
        case=item.case_number,
        due=local_time(item.due, zone=zone),
        late=time_left_text(lang, item.late),
    )


def task_line(lang: str, assignment: Assignment, left: TimeLeft, *, zone: ZoneInfo) -> str:
    """One line of /tasks: number, status, deadline and the time left (or how late)."""
    state = assignment_status(lang, assignment.status)
    mark = "🔴 " if left.kind == "overdue" else ""
    due = local_time(assignment.due_at, zone=zone)
    line = t(
        lang,
        "{number} · {state} · {due} ({left})",
        number=bold(assignment.number),
        state=state,
        due=due,
        left=time_left_text(lang, left),
    )
    return mark + line
