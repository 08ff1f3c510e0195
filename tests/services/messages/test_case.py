"""Case notices, confirmation and questions, rendered without a database."""

from __future__ import annotations

from datetime import timedelta

from models import Assignment, Case, Department, Enterprise
from models.enums import NoteKind
from services import callbacks
from services.cases import CaseView
from services.messages import case as render
from services.messages import confirmation, questions
from services.messages.common import CaseFacts
from tests.services.messages.conftest import DUE, ZONE


def test_a_new_case_goes_to_the_office_with_its_three_buttons(facts: CaseFacts) -> None:
    text, buttons = render.new("en", facts=facts, attachments=2)
    lines = text.splitlines()
    assert lines[0] == "🆕 New case reported"
    assert lines[-1] == "Attachments: 2"
    assert buttons is not None
    assert [[b["data"] for b in row] for row in buttons] == [
        [callbacks.case("dsp", 7)],
        [callbacks.case("ask", 7), callbacks.case("dec", 7)],
    ]
    text, _ = render.new("zh", facts=facts, attachments=0)
    assert "附件" not in text and text.startswith("🆕 ")


def test_declined_closed_and_dispatched(case: Case, drc: Department) -> None:
    text, buttons = render.declined("en", number=case.number, reason="not <ours>")
    assert text == "Your case <b>2026-0007</b> was declined.\nReason: not &lt;ours&gt;"
    assert buttons is None
    text, _ = render.closed("zh", number=case.number, satisfaction="mostly", note="")
    assert "基本满意" in text
    text, _ = render.closed("en", number=case.number, satisfaction="satisfied", note="thanks")
    assert text.endswith("is satisfied.\nthanks")
    text, _ = render.dispatched(
        "en", number=case.number, departments=[drc], due=case.confirm_due_at, zone=ZONE
    )
    assert text == (
        "📨 Your case <b>2026-0007</b> has been assigned to: County DRC.\n"
        "Deadline: 2026-11-30 18:00"
    )
    text, _ = render.closed_default("zh", number=case.number)
    assert "2026-0007" in text


def test_the_confirmation_question_has_three_answers(case: Case) -> None:
    text, buttons = confirmation.ask(
        "zh", case_id=7, number=case.number, due=case.confirm_due_at, zone=ZONE
    )
    assert "2026-11-30 18:00" in text
    assert buttons is not None
    assert [b["text"] for row in buttons for b in row] == ["满意", "基本满意", "不满意"]
    assert [callbacks.decode(b["data"]).action for row in buttons for b in row] == ["s", "m", "u"]


def test_a_question_names_who_asks_and_the_answer_offers_dispatch(drc: Department) -> None:
    text, buttons = questions.question(
        "en", note_id=9, number="2026-0007", department=drc, text="which <plot>?"
    )
    assert text.splitlines() == [
        "❓ A question about your case <b>2026-0007</b>",
        "From: County DRC",
        "",
        "which &lt;plot&gt;?",
    ]
    assert buttons == [[{"text": "Reply", "data": callbacks.reply(9)}]]
    text, _ = questions.question("en", note_id=9, number="1", department=None, text="?")
    assert "From: the efficiency office" in text
    _, buttons = questions.answer(
        "en", number="2026-0007", question="q", answer="a", dispatch_case=7
    )
    assert buttons == [[{"text": "Dispatch", "data": callbacks.case("dsp", 7)}]]
    _, buttons = questions.answer(
        "en", number="2026-0007", question="q", answer="a", dispatch_case=None
    )
    assert buttons is None


def test_case_text_shows_assignments_and_the_timeline_in_the_readers_words(
    case: Case, drc: Department
) -> None:
    order = Assignment(
        id=1, number="2026-0007-1", case_id=7, department_id=3, ack_due_at=DUE, due_at=DUE
    )
    dept = {"number": order.number, "dept_zh": drc.name_zh, "dept_en": drc.name_en}
    later = case.created_at + timedelta(hours=1)
    view = CaseView(
        case=case,
        enterprise=Enterprise(id=1, name="Kunhao", credit_code="x", park_id=1),
        project=None,
        assignments=[order],
        departments={3: drc},
        timeline=[
            (case.created_at, "reported", {}),
            (later, "assigned", dept),
            (later, "note.question", {"text": "which <plot>?"}),
            (later, "closed", {"satisfaction": "mostly"}),
        ],
    )
    text = render.case_text("en", view, timeline=True, zone=ZONE)
    assert "2026-0007-1 · County DRC · issued, not signed for · due 2026-11-30 18:00" in text
    assert "2026-11-23 11:00  Assigned to County DRC (2026-0007-1)" in text
    assert "Question: which &lt;plot&gt;?" in text
    assert "Closed: mostly satisfied" in text
    zh = render.case_text("zh", view, timeline=True, zone=ZONE)
    assert "县发改委" in zh and "基本满意" in zh
    assert "Timeline" not in render.case_text("en", view, timeline=False, zone=ZONE)
    assert all("note." + kind in render.TIMELINE for kind in NoteKind)
