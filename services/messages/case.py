"""A case: its announcement, decline and close notices, and how it reads in /case and /queue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.i18n import N_, t
from bot.textsplit import escape, shorten
from models import MAX_DESCRIPTION, Case
from models.enums import NoteKind
from services import callbacks
from services.messages.common import (
    CaseFacts,
    Named,
    Rendered,
    assignment_line,
    bold,
    button,
    case_header,
    case_status,
    category_name,
    description_block,
    local_name,
    local_time,
    name_of,
)
from services.messages.confirmation import satisfaction_name

if TYPE_CHECKING:
    from services.cases import CaseView
    from services.dispatch.orders import QueueItem

# The events of a case's timeline (services.cases._timeline), as /case shows them.
TIMELINE: dict[str, str] = {
    "reported": N_("Reported"),
    "assigned": N_("Assigned to {dept} ({number})"),
    "signed": N_("Signed for by {dept}"),
    "returned": N_("Returned by {dept}: {reason}"),
    "completed": N_("Completed by {dept}: {result}"),
    "note." + NoteKind.QUESTION: N_("Question: {text}"),
    "note." + NoteKind.ANSWER: N_("Answer: {text}"),
    "note." + NoteKind.PROGRESS: N_("Progress: {text}"),
    "note." + NoteKind.RETURN: N_("Note: {text}"),
    "note." + NoteKind.REOPEN: N_("Reopened, the enterprise is not satisfied: {text}"),
    "note." + NoteKind.RESULT: N_("Result: {text}"),
    "note." + NoteKind.SYSTEM: N_("Note: {text}"),
    "extension.requested": N_("Extension of {number} requested to {due}: {reason}"),
    "extension.approved": N_("Extension of {number} approved: new deadline {due}"),
    "extension.denied": N_("Extension of {number} denied: {reason}"),
    "paused": N_("Clock of {number} paused, waiting for the enterprise: {reason}"),
    "resumed": N_("Clock of {number} running again: new deadline {due}"),
    "closed.default": N_("Closed: confirmed by default (no answer in time)"),
    "closed": N_("Closed: {satisfaction}"),
    "declined": N_("Declined: {reason}"),
}


def office_buttons(lang: str, case_id: int) -> list[list[dict[str, str]]]:
    """Dispatch, ask, decline: what the office can do with a case waiting for dispatch."""
    return [
        [button(lang, "Dispatch", callbacks.case("dsp", case_id))],
        [
            button(lang, "Ask the enterprise", callbacks.case("ask", case_id)),
            button(lang, "Decline", callbacks.case("dec", case_id)),
        ],
    ]


def new(lang: str, *, facts: CaseFacts, attachments: int) -> Rendered:
    """case.new: a case was reported, to the park office and the dispatchers."""
    case_id = facts.case.id
    assert case_id is not None
    lines = [
        "🆕 " + t(lang, "New case reported"),
        case_header(lang, facts),
        description_block(lang, facts.case),
    ]
    if attachments:
        lines.append(t(lang, "Attachments: {count}", count=attachments))
    return "\n".join(lines), office_buttons(lang, case_id)


WAITING = ("new", "info_requested")


def announcement(lang: str, *, facts: CaseFacts, attachments: int, by: str | None) -> Rendered:
    """case.new as it stands now: what became of the case, and the buttons that still apply."""
    text, buttons = new(lang, facts=facts, attachments=attachments)
    case = facts.case
    if case.status == "dispatched" and by:
        state = t(lang, "Dispatched by {name}.", name=escape(by))
    elif case.status == "declined":
        reason = escape(case.decline_reason or "")
        state = t(lang, "Declined: {reason}", reason=reason)
        if by:
            state = t(lang, "Declined by {name}: {reason}", name=escape(by), reason=reason)
    elif case.status == "awaiting_confirmation":
        state = t(lang, "Status: {status}", status=t(lang, "completed, waiting for confirmation"))
    else:
        state = t(lang, "Status: {status}", status=case_status(lang, case.status))
    return text + "\n\n" + state, buttons if case.status in WAITING else None


def declined(lang: str, *, number: str, reason: str) -> Rendered:
    """case.declined: to the enterprise, with the office's reason."""
    text = t(lang, "Your case {number} was declined.", number=bold(number))
    return text + "\n" + t(lang, "Reason: {reason}", reason=escape(reason)), None


def declined_office(lang: str, *, number: str, by: str, reason: str) -> Rendered:
    """case.declined.office: to the rest of the office."""
    text = t(
        lang,
        "Case {number} was declined by {name}: {reason}",
        number=escape(number),
        name=escape(by),
        reason=escape(reason),
    )
    return text, None


def dispatched(
    lang: str,
    *,
    number: str,
    departments: Sequence[Named],
    due: datetime | None,
    zone: ZoneInfo,
) -> Rendered:
    """case.dispatched: to the enterprise, which departments now hold the case."""
    listed = ", ".join(name_of(lang, d) for d in departments)
    text = "📨 " + t(
        lang,
        "Your case {number} has been assigned to: {departments}.",
        number=bold(number),
        departments=escape(listed),
    )
    return text + "\n" + t(lang, "Deadline: {due}", due=local_time(due, zone=zone)), None


def closed(lang: str, *, number: str, satisfaction: str, note: str) -> Rendered:
    """case.closed: the enterprise confirmed; to the office."""
    text = t(
        lang,
        "Case {number} closed: the enterprise is {satisfaction}.",
        number=bold(number),
        satisfaction=satisfaction_name(lang, satisfaction),
    )
    return (text + "\n" + escape(note) if note else text), None


def closed_default(lang: str, *, number: str) -> Rendered:
    """case.closed.default: nobody answered in time; to the enterprise and the office."""
    text = t(
        lang,
        "Case {number} was closed as confirmed: no answer came before the confirmation deadline.",
        number=bold(number),
    )
    return text, None


def case_text(lang: str, view: CaseView, *, timeline: bool, zone: ZoneInfo) -> str:
    """A case with its assignments and, on request, its timeline."""
    case = view.case
    lines = [
        t(lang, "Case {number}", number=bold(case.number)) + " · " + case_status(lang, case.status),
        t(lang, "Enterprise: {name}", name=escape(view.enterprise.name)),
    ]
    if view.project is not None:
        lines.append(t(lang, "Project: {name}", name=escape(view.project.name)))
    lines += [
        t(lang, "Category: {category}", category=category_name(lang, case.category)),
        t(lang, "Reported: {when}", when=local_time(case.created_at, zone=zone)),
        # /case is where the whole description can be read (a long one comes in several
        # messages); lists and notifications show its beginning.
        description_block(lang, case, limit=MAX_DESCRIPTION if timeline else 200),
    ]
    if view.assignments:
        lines += ["", bold(t(lang, "Assignments"))]
        lines += [
            assignment_line(lang, a, view.departments.get(a.department_id), zone=zone)
            for a in view.assignments
        ]
    if timeline and view.timeline:
        lines += ["", bold(t(lang, "Timeline"))]
        for when, event, params in view.timeline:
            text = t(lang, TIMELINE[event], **timeline_values(lang, params, zone))
            lines.append(local_time(when, zone=zone) + "  " + text)
    return "\n".join(lines)


def timeline_values(lang: str, params: dict[str, str], zone: ZoneInfo) -> dict[str, str]:
    values = {k: escape(shorten(v, 300)) for k, v in params.items()}
    if "due_at" in params:  # a deadline, stored as an instant, shown in the reader's zone
        due = datetime.fromisoformat(params["due_at"]) if params["due_at"] else None
        values["due"] = local_time(due, zone=zone)
    if "dept_zh" in params:
        values["dept"] = escape(local_name(lang, params["dept_zh"], params["dept_en"]) or "?")
    if params.get("satisfaction"):
        values["satisfaction"] = satisfaction_name(lang, params["satisfaction"])
    return values


def returns_summary(lang: str, item: QueueItem) -> list[str]:
    return [
        t(
            lang,
            "Returned by {department}: {reason}",
            department=escape(name_of(lang, dept)),
            reason=escape(shorten(a.return_reason or "", 300)),
        )
        for a, dept in item.returns
    ]


def queue_text(lang: str, item: QueueItem) -> str:
    """A case in /queue: number, category, status, the start of its description, returns."""
    case: Case = item.case
    head = " · ".join(
        [bold(case.number), category_name(lang, case.category), case_status(lang, case.status)]
    )
    return "\n".join([head, escape(shorten(case.description, 160)), *returns_summary(lang, item)])
