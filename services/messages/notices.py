"""Notices (通报) and inspection filings (涉企检查备案): what each reader is told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.i18n import N_, t
from bot.textsplit import escape
from services import callbacks
from services.messages.common import Named, Rendered, bold, button, name_of

STATUS_NAMES: dict[str, str] = {
    "filed": N_("filed"),
    "reported": N_("waiting for a supervisor"),
    "matched": N_("covered by a filing"),
    "unfiled": N_("confirmed unfiled"),
    "dismissed": N_("dismissed"),
}


def notice(lang: str, *, text: str, office: Named) -> Rendered:
    """notice: a supervisor's notice to liaisons and heads, signed by their office."""
    head = "📢 " + bold(t(lang, "Notice from {office}", office=escape(name_of(lang, office))))
    return head + "\n" + escape(text), None


def signed(lang: str, rendered: Rendered, office: Named) -> Rendered:
    """A notice with its issuing office as the last line."""
    text, buttons = rendered
    return text + "\n— " + escape(name_of(lang, office)), buttons


@dataclass(frozen=True)
class Facts:
    """What identifies an inspection in any message about it (loaded by the service)."""

    inspection_id: int
    department: Named | None
    enterprise: str
    on: date
    purpose: str = ""
    inspectors: str = ""

    @property
    def number(self) -> str:
        return f"#{self.inspection_id}"


def _lines(lang: str, facts: Facts) -> list[str]:
    lines = [
        t(lang, "Department: {name}", name=escape(name_of(lang, facts.department))),
        t(lang, "Enterprise: {name}", name=escape(facts.enterprise)),
        t(lang, "Date: {date}", date=facts.on.isoformat()),
    ]
    if facts.purpose:
        lines.append(t(lang, "Purpose: {purpose}", purpose=escape(facts.purpose)))
    if facts.inspectors:
        lines.append(t(lang, "Inspectors: {names}", names=escape(facts.inspectors)))
    return lines


def filed(lang: str, *, facts: Facts) -> Rendered:
    """inspection.filed: to the enterprise's contacts, in advance."""
    head = "🔎 " + t(
        lang,
        "{department} has filed an inspection of your enterprise on {date}.",
        department=escape(name_of(lang, facts.department)),
        date=bold(facts.on.isoformat()),
    )
    tail = t(
        lang,
        "If inspectors come on another day without a filing, report it with /inspected.",
    )
    return "\n".join([head, *_lines(lang, facts), tail]), None


def alert(lang: str, *, facts: Facts) -> Rendered:
    """inspection.alert: to every supervisor, with the decision buttons."""
    head = "⚠️ " + bold(
        t(lang, "Inspection report {number}: no filing covers it.", number=facts.number)
    )
    buttons = [
        [
            button(lang, "Confirm unfiled", callbacks.inspection("ok", facts.inspection_id)),
            button(lang, "Dismiss", callbacks.inspection("no", facts.inspection_id)),
        ]
    ]
    return "\n".join([head, *_lines(lang, facts)]), buttons


def decided(lang: str, *, facts: Facts, unfiled: bool, by: str, reason: str = "") -> Rendered:
    """inspection.alert.edit: the alert once a supervisor decided; no buttons left."""
    if unfiled:
        head = "🔴 " + t(
            lang,
            "Inspection report {number} confirmed unfiled by {name}.",
            number=bold(facts.number),
            name=escape(by),
        )
    else:
        head = "⚪ " + t(
            lang,
            "Inspection report {number} dismissed by {name}: {reason}",
            number=bold(facts.number),
            name=escape(by),
            reason=escape(reason),
        )
    return "\n".join([head, *_lines(lang, facts)]), None


def unfiled_notice(lang: str, *, facts: Facts, points: float, office: Named) -> Rendered:
    """notice (unfiled inspection): county-wide, to every liaison and head."""
    head = "📢 " + bold(t(lang, "Notice: an unfiled inspection of a park enterprise"))
    body = t(
        lang,
        "{department} inspected {enterprise} on {date} without filing the inspection first. "
        "{points} points are deducted from its assessment. Every inspection of a park "
        "enterprise must be filed with /inspect before it takes place.",
        department=escape(name_of(lang, facts.department)),
        enterprise=escape(facts.enterprise),
        date=facts.on.isoformat(),
        points=facts_points(points),
    )
    return signed(lang, (head + "\n" + body, None), office)


def facts_points(points: float) -> str:
    """2.0 as 2, 1.5 as 1.5."""
    return f"{points:g}"
