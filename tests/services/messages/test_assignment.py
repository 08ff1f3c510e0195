"""The assignment card and the notices about an assignment, rendered without a database."""

from __future__ import annotations

from models import Assignment, Department
from models.enums import AssignmentStatus
from services import callbacks
from services.messages import assignment as render
from services.messages.common import CaseFacts
from tests.services.messages.conftest import ZONE


def _card(assignment: Assignment, drc: Department, facts: CaseFacts, days: int) -> render.Card:
    return render.Card(assignment=assignment, department=drc, facts=facts, days_left=days)


def test_the_card_shows_the_order_and_offers_sign_for(
    assignment: Assignment, drc: Department, facts: CaseFacts
) -> None:
    text, buttons = render.issued("en", card=_card(assignment, drc, facts, 1), zone=ZONE)
    assert text.splitlines()[:3] == [
        "📋 Assignment order <b>2026-0007-1</b>",
        "To: County DRC",
        "Case <b>2026-0007</b>",
    ]
    assert "Need the &lt;approval&gt; &amp; the permit" in text
    assert "Deadline: 2026-11-30 18:00 (1 working day left)" in text
    assert "Status: issued, not signed for" in text
    assert buttons is not None
    assert [b["text"] for row in buttons for b in row] == [
        "Sign for",
        "Return",
        "Ask the enterprise",
        "Request extension",
        "Pause the clock",
    ]
    assert buttons[0][0]["data"] == callbacks.assignment("ack", 42)


def test_a_signed_for_card_offers_complete_and_a_closed_one_nothing(
    assignment: Assignment,
) -> None:
    assignment.status = AssignmentStatus.ACKNOWLEDGED
    buttons = render.liaison_buttons("zh", assignment)
    assert buttons is not None
    assert [b["text"] for row in buttons for b in row] == [
        "办结",
        "填报进展",
        "向企业询问",
        "退回",
        "申请延期",
        "暂停计时",
    ]
    assert callbacks.decode(buttons[0][0]["data"]) == callbacks.Data("a", "done", (42,))
    assignment.status = AssignmentStatus.COMPLETED
    assert render.liaison_buttons("en", assignment) is None


def test_the_copy_for_the_efficiency_head_has_no_buttons(
    assignment: Assignment, drc: Department, facts: CaseFacts
) -> None:
    text, buttons = render.issued_copy("en", card=_card(assignment, drc, facts, -2), zone=ZONE)
    assert text.startswith("📋 Copy for the major project's efficiency head\n📋 Assignment order")
    assert "overdue by 2 working days" in text
    assert buttons is None


def test_the_reopen_notice_is_one_text_with_or_without_the_card(
    assignment: Assignment, drc: Department, facts: CaseFacts
) -> None:
    assignment.status = AssignmentStatus.ACKNOWLEDGED
    office, none = render.reopened_office(
        "en", number=assignment.number, reason="still <no> permit"
    )
    assert none is None
    assert office == (
        "🔁 The enterprise is not satisfied; assignment <b>2026-0007-1</b> is reopened.\n"
        "Reason: still &lt;no&gt; permit"
    )
    liaison, buttons = render.reopened(
        "en", card=_card(assignment, drc, facts, 5), reason="still <no> permit", zone=ZONE
    )
    assert liaison.startswith(office + "\n\n📋 Assignment order")
    assert buttons == render.liaison_buttons("en", assignment)


def test_returned_offers_re_dispatch_of_the_case(drc: Department, facts: CaseFacts) -> None:
    text, buttons = render.returned(
        "zh", department=drc, number="2026-0007-1", reason="不归我们", facts=facts
    )
    assert "县发改委" in text and "不归我们" in text and "2026-0007" in text
    assert buttons == [[{"text": "重新交办", "data": callbacks.case("dsp", 7)}]]


def test_acknowledged_and_completed_name_the_department(drc: Department) -> None:
    text, _ = render.acknowledged("en", department=drc, case_number="2026-0007")
    assert text == "✍️ County DRC has signed for your case <b>2026-0007</b>."
    text, _ = render.completed("zh", department=drc, number="2026-0007-1", result="已办 <ok>")
    assert "县发改委" in text and "已办 &lt;ok&gt;" in text


def test_task_line(assignment: Assignment) -> None:
    line = render.task_line("en", assignment, 1, zone=ZONE)
    assert (
        line
        == "<b>2026-0007-1</b> · issued, not signed for · 2026-11-30 18:00 (1 working day left)"
    )
