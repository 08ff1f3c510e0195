"""Pieces every message shares: names in the reader's language, times, statuses, case header."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.i18n import N_, t, tn
from bot.textsplit import escape, shorten
from models import Assignment, Case
from models.enums import Category
from scheduler.deadlines import TimeLeft
from scheduler.durations import Duration

Button = dict[str, str]  # {"text": label, "data": callback_data}, as services.outbox stores it
Buttons = list[list[Button]]
Rendered = tuple[str, Buttons | None]

CATEGORY_NAMES: dict[str, str] = {
    Category.PERMIT: N_("Permits and approvals"),
    Category.UTILITY: N_("Water and power"),
    Category.LAND: N_("Land acquisition and demolition"),
    Category.DISPUTE: N_("Dispute coordination"),
    Category.OTHER: N_("Other"),
}

CASE_STATUS_NAMES: dict[str, str] = {
    "new": N_("waiting for dispatch"),
    "info_requested": N_("waiting for the enterprise's answer"),
    "dispatched": N_("assigned, in progress"),
    "awaiting_confirmation": N_("completed, waiting for your confirmation"),
    "closed": N_("closed"),
    "declined": N_("declined"),
}

ASSIGNMENT_STATUS_NAMES: dict[str, str] = {
    "issued": N_("issued, not signed for"),
    "acknowledged": N_("signed for, in progress"),
    "completed": N_("completed"),
    "returned": N_("returned"),
    "cancelled": N_("cancelled"),
}


class Named(Protocol):
    """A department, park or office: it has a Chinese and an English name (read only)."""

    @property
    def name_zh(self) -> str: ...

    @property
    def name_en(self) -> str: ...


def local_time(moment: datetime | None, *, zone: ZoneInfo) -> str:
    """A stored UTC moment as the reader sees it: in the configured zone (rules.zone)."""
    if moment is None:
        return "—"
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def local_name(lang: str, zh: str | None, en: str | None) -> str | None:
    """The name in the reader's language: Chinese for zh readers, English for the others."""
    return (zh or en) if lang == "zh" else (en or zh)


def name_of(lang: str, unit: Named | None) -> str:
    """A department's or park's name in the reader's language ("?" when it is gone)."""
    if unit is None:
        return "?"
    return local_name(lang, unit.name_zh, unit.name_en) or "?"


def button(lang: str, label: str, data: str) -> Button:
    return {"text": t(lang, label), "data": data}


def pairs(buttons: Buttons | None) -> list[list[tuple[str, str]]]:
    """Rendered buttons as the (label, data) rows a handler's reply takes."""
    return [[(b["text"], b["data"]) for b in row] for row in buttons or []]


def bold(text: str) -> str:
    return f"<b>{escape(text)}</b>"


def category_name(lang: str, category: str) -> str:
    return t(lang, CATEGORY_NAMES.get(category, category))


def case_status(lang: str, status: str) -> str:
    return t(lang, CASE_STATUS_NAMES.get(status, status))


def assignment_status(lang: str, status: str) -> str:
    return t(lang, ASSIGNMENT_STATUS_NAMES.get(status, status))


def span_text(lang: str, *, days: int = 0, hours: int = 0, minutes: int = 0) -> str:
    """A length of time in words: "1小时5分钟", "10 minutes"; under a minute "不足1分钟"."""
    parts = []
    if days:
        parts.append(tn(lang, "{n} day", "{n} days", days, n=days))
    if hours:
        parts.append(tn(lang, "{n} hour", "{n} hours", hours, n=hours))
    if minutes:
        parts.append(tn(lang, "{n} minute", "{n} minutes", minutes, n=minutes))
    if not parts:
        return t(lang, "less than a minute")
    return ("" if lang == "zh" else " ").join(parts)


def duration_text(lang: str, duration: Duration) -> str:
    """A configured span (``90s``, ``5m``, ``2h``, ``1d``, ``3wd``) in words."""
    if duration.is_working_days:
        n = duration.amount
        return tn(lang, "{n} working day", "{n} working days", n, n=n)
    seconds = int(duration.as_timedelta().total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = span_text(lang, days=days, hours=hours, minutes=minutes)
    if seconds:
        said = tn(lang, "{n} second", "{n} seconds", seconds, n=seconds)
        text = (
            said if not (days or hours or minutes) else text + ("" if lang == "zh" else " ") + said
        )
    return text


def time_left_text(lang: str, left: TimeLeft, *, today: bool = True) -> str:
    """Time to a deadline: working days (and hours today), hours and minutes under a day, late.

    A card leaves out the hours today (``today=False``): it is edited on changes, not hourly.
    """
    if left.kind == "overdue":
        return _late_text(lang, left)
    if left.kind == "hours":
        return t(lang, "{span} left", span=span_text(lang, hours=left.hours, minutes=left.minutes))
    days = tn(
        lang,
        "{days} working day left",
        "{days} working days left",
        left.working_days,
        days=left.working_days,
    )
    if not today or not left.hours:
        return days
    # One bracket level: "剩余5个工作日，今天还剩17小时", never a bracket inside a bracket.
    return t(lang, "{days}, and {span} today", days=days, span=span_text(lang, hours=left.hours))


def _late_text(lang: str, left: TimeLeft) -> str:
    """How late: hours and minutes under a day, else working days (calendar days over a break)."""
    if left.days == 0:
        span = span_text(lang, hours=left.hours, minutes=left.minutes)
        return t(lang, "overdue by {span}", span=span)
    if left.working_days >= 1:
        n = left.working_days
        return tn(
            lang, "overdue by {days} working day", "overdue by {days} working days", n, days=n
        )
    # Late by a day or more but no working day yet (a deadline before a weekend or holiday).
    return tn(lang, "overdue by {days} day", "overdue by {days} days", left.days, days=left.days)


@dataclass(frozen=True)
class CaseFacts:
    """What identifies a case in any message about it (loaded by the service)."""

    case: Case
    enterprise: str
    project: str | None = None
    major: bool = False


def case_header(lang: str, facts: CaseFacts) -> str:
    """The lines that identify a case in any message about it."""
    lines = [
        t(lang, "Case {number}", number=bold(facts.case.number)),
        t(lang, "Enterprise: {name}", name=escape(facts.enterprise)),
    ]
    if facts.project is not None:
        major = " · " + t(lang, "major project") if facts.major else ""
        lines.append(t(lang, "Project: {name}", name=escape(facts.project)) + major)
    lines.append(t(lang, "Category: {category}", category=category_name(lang, facts.case.category)))
    return "\n".join(lines)


def description_block(lang: str, case: Case, limit: int = 1500) -> str:
    return t(lang, "Description:") + "\n" + escape(shorten(case.description, limit))


def assignment_line(
    lang: str, assignment: Assignment, department: Named | None, *, zone: ZoneInfo
) -> str:
    """One assignment in a list: number, department, status, deadline."""
    return t(
        lang,
        "{number} · {department} · {status} · due {due}",
        number=escape(assignment.number),
        department=escape(name_of(lang, department)),
        status=assignment_status(lang, assignment.status),
        due=local_time(assignment.due_at, zone=zone),
    )
