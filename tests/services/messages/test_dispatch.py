"""The dispatch form as the dispatcher sees it, rendered without a database."""

from __future__ import annotations

from models import Assignment, Case, Department
from services import callbacks
from services.dispatch.form import Form
from services.dispatch.orders import DispatchOptions
from services.messages import dispatch
from tests.services.messages.conftest import DUE, ZONE


def _form(case: Case, drc: Department, *, already: list[str]) -> Form:
    gov = Department(id=4, code="gov", name_zh="县政府办", name_en="County Government Office")
    options = DispatchOptions(
        case=case, departments=[drc, gov], preselected=["drc"], already=already, default_due=DUE
    )
    return Form(options=options, selected=["drc"], due_at=DUE, custom_due=False, step="choose")


def test_the_form_marks_chosen_departments_and_counts_them(case: Case, drc: Department) -> None:
    form = _form(case, drc, already=[])
    text = dispatch.form_text("en", form, zone=ZONE)
    assert "Deadline: 2026-11-30 18:00 (the category's default)" in text
    rows = dispatch.form_buttons("en", form)
    assert [b["text"] for b in rows[0]] == ["✅ County DRC", "▫️ County Government Office"]
    assert rows[0][1]["data"] == callbacks.dispatch("t", 7, 4)
    assert rows[-1][0] == {
        "text": "Issue assignment orders (1)",
        "data": callbacks.dispatch("go", 7),
    }


def test_departments_already_assigned_are_listed_not_offered(case: Case, drc: Department) -> None:
    form = _form(case, drc, already=["drc"])
    assert "Already assigned: drc" in dispatch.form_text("en", form, zone=ZONE)
    labels = [b["text"] for row in dispatch.form_buttons("zh", form) for b in row]
    assert "▫️ 县政府办" in labels and not any("县发改委" in label for label in labels)


def test_issued_lists_the_orders(assignment: Assignment) -> None:
    text = dispatch.issued_text("en", [assignment], zone=ZONE)
    assert text == "📨 Assignment orders issued:\n2026-0007-1\nDeadline: 2026-11-30 18:00"
