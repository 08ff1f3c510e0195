"""Notices (通报) and inspection filings (涉企检查备案): what each reader is told."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from bot.i18n import N_, t, tn
from bot.textsplit import escape
from services import callbacks
from services.collation import name_key
from services.errors import Localized
from services.messages.common import Named, Rendered, bold, button, name_of
from services.org import UnitSpec

if TYPE_CHECKING:
    from services.notices import Decision, Preview, Recipients


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


def department_list(departments: Iterable[UnitSpec]) -> Localized:
    """``drc（县发改委）、epb（县环保局）`` / ``drc (Development & Reform Commission), …``."""
    units = list(departments)
    return Localized(
        {
            "zh": "、".join(f"{u.code}（{u.name_zh}）" for u in units),
            "en": ", ".join(f"{u.code} ({u.name_en})" for u in units),
        }
    )


def _whom(lang: str, recipients: Recipients) -> str:
    """The addressed departments with how many people each, in the reader's order."""
    ordered = sorted(recipients.departments, key=lambda pair: name_key(lang, pair[0]))
    parts = [
        t(lang, "{department}: {count}", department=name_of(lang, d), count=people)
        for d, people in ordered
    ]
    return ("、" if lang == "zh" else ", ").join(parts)


def _recipient_lines(lang: str, recipients: Recipients) -> list[str]:
    if recipients.everyone:
        lines = [t(lang, "To: every department's liaison and head"), _whom(lang, recipients)]
    else:
        lines = [t(lang, "To: {departments}", departments=_whom(lang, recipients))]
    count = recipients.count
    lines.append(tn(lang, "{count} person in all.", "{count} people in all.", count, count=count))
    if recipients.unreached:
        names = ("、" if lang == "zh" else ", ").join(
            name_of(lang, d) for d in recipients.unreached
        )
        lines.append(
            "⚠️ "
            + t(
                lang,
                "Nobody will read it at {departments}: no liaison or head has joined yet.",
                departments=names,
            )
        )
    return [escape(line) for line in lines]


def notice_preview(lang: str, preview: Preview) -> Rendered:
    """The supervisor's notice before it is sent: to whom, how many, the text, Send/Cancel."""
    lines = ["📢 " + bold(t(lang, "Notice preview: not sent yet"))]
    lines += _recipient_lines(lang, preview.recipients)
    lines += [bold(t(lang, "Text:")), escape(preview.text), ""]
    lines.append(escape(t(lang, "Check it, then press “Send”; “Cancel” sends nothing.")))
    buttons = [
        [
            button(lang, "Send", callbacks.notice("go", preview.token)),
            button(lang, "Cancel", callbacks.notice("x", preview.token)),
        ]
    ]
    return "\n".join(lines), buttons


def notice_decided(lang: str, decision: Decision) -> str:
    """The preview once decided: what was sent and to whom, or that nothing was (no buttons)."""
    if decision.sent:
        head = "✅ " + bold(
            tn(
                lang,
                "The notice was sent to {count} person.",
                "The notice was sent to {count} people.",
                decision.recipients.count,
                count=decision.recipients.count,
            )
        )
    else:
        head = "✖️ " + bold(t(lang, "Notice cancelled: nothing was sent."))
    lines = [head, *_recipient_lines(lang, decision.recipients)]
    lines += [bold(t(lang, "Text:")), escape(decision.text)]
    return "\n".join(lines)


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
