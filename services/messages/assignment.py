"""Assignment orders: the card a liaison acts on, and what others are told about it."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.textsplit import escape, shorten
from models import Assignment, SupervisionOrder
from models.enums import AssignmentStatus, EscalationStage
from scheduler.deadlines import TimeLeft
from services import callbacks
from services.messages.common import (
    Buttons,
    CaseFacts,
    Named,
    Rendered,
    assignment_status,
    bold,
    button,
    case_header,
    description_block,
    local_time,
    name_of,
    time_left_text,
)


@dataclass(frozen=True)
class Card:
    """An assignment order with what its card shows (loaded by the service)."""

    assignment: Assignment
    department: Named | None
    facts: CaseFacts
    left: TimeLeft  # to the deadline, or how late
    order: SupervisionOrder | None = None  # the supervision order (督办单), once issued


CLOSED = (AssignmentStatus.COMPLETED, AssignmentStatus.RETURNED, AssignmentStatus.CANCELLED)


def card_text(lang: str, card: Card, *, zone: ZoneInfo) -> str:
    """The assignment order as the liaison sees it, from any path (outbox, /tasks, buttons)."""
    a = card.assignment
    return "\n".join(
        [
            "📋 " + t(lang, "Assignment order {number}", number=bold(a.number)),
            t(lang, "To: {department}", department=escape(name_of(lang, card.department))),
            case_header(lang, card.facts),
            description_block(lang, card.facts.case, limit=1200),
            _deadline_line(lang, card, zone=zone),
            t(lang, "Sign for by: {due}", due=local_time(a.ack_due_at, zone=zone)),
            t(lang, "Status: {status}", status=assignment_status(lang, a.status)),
            *_stage_lines(lang, card, zone=zone),
        ]
    )


def _deadline_line(lang: str, card: Card, *, zone: ZoneInfo) -> str:
    """The deadline, with the time left or how late while the assignment is open."""
    a = card.assignment
    due = local_time(a.due_at, zone=zone)
    if a.status in CLOSED:  # done with: no time left, no lateness
        return t(lang, "Deadline: {due}", due=due)
    return t(
        lang,
        "Deadline: {due} ({remaining})",
        due=due,
        remaining=time_left_text(lang, card.left, today=False),
    )


def _stage_lines(lang: str, card: Card, *, zone: ZoneInfo) -> list[str]:
    """Where the escalation stands: overdue, under a supervision order, or vetoed."""
    a, order = card.assignment, card.order
    if a.stage == EscalationStage.SLOW:
        return ["🔴 " + t(lang, "Overdue: slow action (慢作为) recorded.")]
    if a.stage == EscalationStage.SUPERVISED and order is not None:
        text = t(
            lang,
            "Under supervision order {order}: complete it by {due}.",
            order=bold(order.number),
            due=local_time(order.due_at, zone=zone),
        )
        return ["🟠 " + text]
    if a.stage == EscalationStage.INACTION and order is not None:
        text = t(
            lang,
            "Vetoed: supervision order {order} was not completed by {due} (不作为).",
            order=bold(order.number),
            due=local_time(order.due_at, zone=zone),
        )
        return ["⛔ " + text]
    return []


def liaison_buttons(lang: str, assignment: Assignment) -> Buttons | None:
    """The buttons an assignment card offers in its current state."""
    aid = assignment.id
    assert aid is not None
    data = callbacks.assignment
    # Extensions and pauses are for a deadline still ahead; once escalated they are refused.
    clock = [
        [
            button(lang, "Request extension", data("ext", aid)),
            button(lang, "Pause the clock", data("pause", aid)),
        ]
    ]
    if assignment.stage != EscalationStage.NONE:
        clock = []
    if assignment.status == AssignmentStatus.ISSUED:
        return [
            [button(lang, "Sign for", data("ack", aid))],
            [
                button(lang, "Return", data("ret", aid)),
                button(lang, "Ask the enterprise", data("ask", aid)),
            ],
            *clock,
        ]
    if assignment.status == AssignmentStatus.ACKNOWLEDGED:
        return [
            [button(lang, "Complete", data("done", aid))],
            [
                button(lang, "Progress note", data("prog", aid)),
                button(lang, "Ask the enterprise", data("ask", aid)),
            ],
            [button(lang, "Return", data("ret", aid))],
            *clock,
        ]
    return None


def issued(lang: str, *, card: Card, zone: ZoneInfo) -> Rendered:
    """assignment.issued: the new order, to the department's liaison."""
    return card_text(lang, card, zone=zone), liaison_buttons(lang, card.assignment)


def issued_copy(lang: str, *, card: Card, zone: ZoneInfo) -> Rendered:
    """assignment.issued.copy: the same order, to a major project's efficiency head."""
    head = "📋 " + t(lang, "Copy for the major project's efficiency head")
    return head + "\n" + card_text(lang, card, zone=zone), None


def acknowledged(lang: str, *, department: Named, case_number: str) -> Rendered:
    """assignment.acknowledged: to the enterprise."""
    text = "✍️ " + t(
        lang,
        "{department} has signed for your case {number}.",
        department=escape(name_of(lang, department)),
        number=bold(case_number),
    )
    return text, None


def _did(lang: str, department: Named, number: str) -> dict[str, str]:
    """The placeholders of "{department} <did something to> assignment {number}"."""
    return {"department": escape(name_of(lang, department)), "number": bold(number)}


def returned(
    lang: str, *, department: Named, number: str, reason: str, facts: CaseFacts
) -> Rendered:
    """assignment.returned: to the office, with a button to dispatch again."""
    case_id = facts.case.id
    assert case_id is not None
    # Literal msgids (not a variable) so that pybabel extract finds them.
    head = t(lang, "{department} returned assignment {number}.", **_did(lang, department, number))
    text = "\n".join(
        [
            "↩️ " + head,
            t(lang, "Reason: {reason}", reason=escape(reason)),
            case_header(lang, facts),
        ]
    )
    return text, [[button(lang, "Re-dispatch", callbacks.case("dsp", case_id))]]


def completed(lang: str, *, department: Named, number: str, result: str) -> Rendered:
    """assignment.completed and .office: the result, to the enterprise and the office."""
    head = t(lang, "{department} completed assignment {number}.", **_did(lang, department, number))
    text = "\n".join(
        ["✅ " + head, t(lang, "Result: {result}", result=escape(shorten(result, 2500)))]
    )
    return text, None


def reopened_office(lang: str, *, number: str, reason: str) -> Rendered:
    """assignment.reopened.office: the enterprise is not satisfied, to the office and heads."""
    head = "🔁 " + t(
        lang,
        "The enterprise is not satisfied; assignment {number} is reopened.",
        number=bold(number),
    )
    return head + "\n" + t(lang, "Reason: {reason}", reason=escape(reason)), None


def reopened(lang: str, *, card: Card, reason: str, zone: ZoneInfo) -> Rendered:
    """assignment.reopened: the same notice with the card and its buttons, to the liaison."""
    notice, _ = reopened_office(lang, number=card.assignment.number, reason=reason)
    return notice + "\n\n" + card_text(lang, card, zone=zone), liaison_buttons(
        lang, card.assignment
    )
