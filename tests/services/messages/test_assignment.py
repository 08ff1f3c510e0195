"""The assignment card and the notices about an assignment, rendered without a database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models import Assignment, Department, SupervisionOrder
from models.enums import AssignmentStatus, EscalationStage
from scheduler.deadlines import TimeLeft
from services import callbacks
from services.messages import assignment as render
from services.messages.common import CaseFacts
from tests.services.messages.conftest import DUE, ZONE

DAY = timedelta(days=1)


def _card(
    assignment: Assignment,
    drc: Department,
    facts: CaseFacts,
    days: int,
    order: SupervisionOrder | None = None,
) -> render.Card:
    """A card ``days`` working days before its deadline (late when negative)."""
    if days >= 0:
        left = TimeLeft("working_days", working_days=days, hours=3, remaining=days * DAY)
    else:
        left = TimeLeft("overdue", working_days=-days, days=-days, remaining=days * DAY)
    return render.Card(assignment=assignment, department=drc, facts=facts, left=left, order=order)


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


def test_a_card_under_a_day_shows_hours_and_minutes(
    assignment: Assignment, drc: Department, facts: CaseFacts
) -> None:
    left = TimeLeft("hours", hours=2, minutes=5, remaining=timedelta(hours=2, minutes=5))
    card = render.Card(assignment=assignment, department=drc, facts=facts, left=left)
    assert "Deadline: 2026-11-30 18:00 (2 hours 5 minutes left)" in render.card_text(
        "en", card, zone=ZONE
    )
    assert "（还剩2小时5分钟）" in render.card_text("zh", card, zone=ZONE)


@pytest.mark.parametrize(
    "status", [AssignmentStatus.COMPLETED, AssignmentStatus.RETURNED, AssignmentStatus.CANCELLED]
)
def test_a_closed_card_shows_its_deadline_without_time_left_or_lateness(
    assignment: Assignment, drc: Department, facts: CaseFacts, status: AssignmentStatus
) -> None:
    # The clock of a closed assignment still reads something (here: 10 minutes, then late).
    for left in (
        TimeLeft("hours", minutes=10, remaining=timedelta(minutes=10)),
        TimeLeft("overdue", hours=3, remaining=-timedelta(hours=3)),
    ):
        closed = assignment.model_copy(update={"status": status})
        card = render.Card(assignment=closed, department=drc, facts=facts, left=left)
        zh, en = render.card_text("zh", card, zone=ZONE), render.card_text("en", card, zone=ZONE)
        assert "办结时限：2026-11-30 18:00\n" in zh and "还剩" not in zh and "逾期" not in zh
        assert "Deadline: 2026-11-30 18:00\n" in en and "left" not in en
        assert "overdue" not in en


def _labels(buttons: list | None) -> list[str]:
    return [b["text"] for row in buttons or [] for b in row]


def test_an_escalated_card_shows_its_stage_and_drops_extension_and_pause(
    assignment: Assignment, drc: Department, facts: CaseFacts
) -> None:
    assignment.status = AssignmentStatus.ACKNOWLEDGED
    assignment.stage = EscalationStage.SLOW
    text, buttons = render.issued("en", card=_card(assignment, drc, facts, -1), zone=ZONE)
    assert text.endswith("🔴 Overdue: slow action (慢作为) recorded.")
    assert _labels(buttons) == ["Complete", "Progress note", "Ask the enterprise", "Return"]

    order = SupervisionOrder(
        id=5, number="2026-0007-1-D", assignment_id=42, issued_at=DUE, due_at=DUE + 2 * DAY
    )
    assignment.stage = EscalationStage.SUPERVISED
    text, buttons = render.issued("en", card=_card(assignment, drc, facts, -1, order), zone=ZONE)
    assert text.endswith(
        "🟠 Under supervision order <b>2026-0007-1-D</b>: complete it by 2026-12-02 18:00."
    )
    assert "Complete" in _labels(buttons) and "Request extension" not in _labels(buttons)

    assignment.stage = EscalationStage.INACTION
    text, _ = render.issued("zh", card=_card(assignment, drc, facts, -3, order), zone=ZONE)
    assert "⛔" in text and "2026-0007-1-D" in text and "已逾期3个工作日" in text
