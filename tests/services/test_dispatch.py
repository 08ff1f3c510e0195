"""The office's dispatch as a service: the form, its defaults, the orders and the refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.db import Database
from models import Case
from models.enums import AssignmentStatus, CaseStatus
from services.dispatch import form, orders
from services.errors import InvalidInput, InvalidState, NotAllowed, NotFound
from tests.factories import (
    DISPATCHER,
    DRC_LIAISON,
    WANG,
    actor,
    dispatched,
    file_case,
    templates_for,
)
from tests.rules import RULES

pytestmark = pytest.mark.dialects(
    "sqlite",
    why="the dispatch form and its orders are plain ORM writes by one writer",
)

MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
R = RULES.at(MONDAY)


def test_the_form_preselects_the_categorys_departments_and_deadline(demo: Database) -> None:
    case = file_case(demo, rules=R, category="permit")
    shown = demo.call(form.open_form, actor=actor(demo, DISPATCHER), case_id=case.id, rules=R)
    assert shown.selected == ["drc", "epb"]  # settings.toml: permits go to the DRC and the EPB
    assert shown.due_at == RULES.calendar.add(MONDAY, RULES.sla("permit").completion)
    assert not shown.custom_due and shown.step == "choose"


def test_toggling_and_a_typed_deadline_shape_what_is_issued(demo: Database) -> None:
    case = file_case(demo, rules=R, category="permit")
    office = actor(demo, DISPATCHER)
    shown = demo.call(form.open_form, actor=office, case_id=case.id, rules=R)
    epb = next(d for d in shown.options.departments if d.code == "epb")
    shown = demo.call(form.toggle, actor=office, case_id=case.id, department_id=epb.id, rules=R)
    assert shown.selected == ["drc"]
    with pytest.raises(InvalidInput, match="could not read"):
        demo.call(form.set_deadline, actor=office, text="soon", case_id=case.id, rules=R)
    shown = demo.call(form.set_deadline, actor=office, text="3wd", case_id=case.id, rules=R)
    assert shown.custom_due and shown.due_at == RULES.calendar.parse_deadline("3wd", now=MONDAY)
    [order] = demo.call(form.issue, actor=office, case_id=case.id, rules=R)
    assert order.due_at == shown.due_at and order.status == AssignmentStatus.ISSUED
    assert "assignment.issued" in templates_for(demo, DRC_LIAISON)
    assert templates_for(demo, 3003) == []  # the EPB was taken off the form
    assert "case.dispatched" in templates_for(demo, WANG)
    # The form is closed: a second press of Issue is refused, nothing is issued twice.
    with pytest.raises(InvalidState):
        demo.call(form.issue, actor=office, case_id=case.id, rules=R)


def test_orders_are_numbered_per_case_and_share_one_deadline(demo: Database) -> None:
    case, issued = dispatched(demo, rules=R, codes=("drc", "epb", "water"))
    assert [a.number for a in issued] == [f"{case.number}-{i}" for i in (1, 2, 3)]
    assert len({a.due_at for a in issued}) == 1
    stored = demo.call(lambda s: s.get(Case, case.id))
    assert stored.status == CaseStatus.DISPATCHED


def test_dispatch_refusals_a_dispatcher_would_see(demo: Database) -> None:
    case, _ = dispatched(demo, rules=R)
    office = actor(demo, DISPATCHER)
    with pytest.raises(InvalidState, match="already assigned"):
        demo.call(
            orders.dispatch_case,
            actor=office,
            case_id=case.id,
            department_codes=["drc"],
            rules=R,
        )
    with pytest.raises(InvalidInput, match="no department with code"):
        demo.call(
            orders.dispatch_case, actor=office, case_id=case.id, department_codes=["x"], rules=R
        )
    with pytest.raises(InvalidInput, match="at least one"):
        demo.call(orders.dispatch_case, actor=office, case_id=case.id, department_codes=[], rules=R)
    with pytest.raises(InvalidInput, match="in the future"):
        demo.call(
            form.dispatch_now,
            actor=office,
            case_number=case.number,
            department_codes=["epb"],
            deadline="2026-01-05",
            rules=R,
        )


def test_only_the_office_dispatches(demo: Database) -> None:
    case = file_case(demo, rules=R)
    # The enterprise and a liaison are told the case is not theirs to dispatch (or to see).
    for outsider in (WANG, DRC_LIAISON):
        with pytest.raises((NotAllowed, NotFound)):
            demo.call(
                orders.dispatch_case,
                actor=actor(demo, outsider),
                case_id=case.id,
                department_codes=["drc"],
                rules=R,
            )
    assert templates_for(demo, DRC_LIAISON) == []
