"""Assignments as a service: signing for, returning, completing, and who is told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.db import Database
from models import Assignment, Case
from models.enums import AssignmentStatus, CaseStatus
from services import assignments
from services.errors import InvalidInput, InvalidState, NotAllowed, NotFound
from tests.factories import DISPATCHER, DRC_LIAISON, WANG, actor, dispatched, templates_for
from tests.rules import RULES

pytestmark = pytest.mark.dialects(
    "sqlite",
    why="signing for, returning and completing are plain ORM updates by one writer",
)

MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
R = RULES.at(MONDAY)
LATER = RULES.at(MONDAY + timedelta(hours=2))


def test_signing_for_tells_the_enterprise_once(demo: Database) -> None:
    _case, [order] = dispatched(demo, rules=R)
    liaison = actor(demo, DRC_LIAISON)
    signed = demo.call(assignments.acknowledge, actor=liaison, assignment_id=order.id, rules=LATER)
    assert signed.status == AssignmentStatus.ACKNOWLEDGED
    assert signed.acknowledged_at == MONDAY + timedelta(hours=2)
    # A double tap is answered "already signed for" and owes no second message.
    with pytest.raises(InvalidState, match="already signed for"):
        demo.call(assignments.acknowledge, actor=liaison, assignment_id=order.id, rules=LATER)
    assert templates_for(demo, WANG).count("assignment.acknowledged") == 1


def test_another_departments_liaison_cannot_act_on_the_order(demo: Database) -> None:
    _case, [order] = dispatched(demo, rules=R)
    water = actor(demo, 3006)
    with pytest.raises((NotAllowed, NotFound)):
        demo.call(assignments.acknowledge, actor=water, assignment_id=order.id, rules=LATER)
    stored = demo.call(lambda s: s.get(Assignment, order.id))
    assert stored.status == AssignmentStatus.ISSUED


def test_completing_needs_a_signature_first_and_a_result(demo: Database) -> None:
    _case, [order] = dispatched(demo, rules=R)
    liaison = actor(demo, DRC_LIAISON)
    with pytest.raises(InvalidState):
        demo.call(assignments.check_action, actor=liaison, action="done", assignment_id=order.id)
    demo.call(assignments.acknowledge, actor=liaison, assignment_id=order.id, rules=LATER)
    with pytest.raises(InvalidInput):
        demo.call(
            assignments.complete, actor=liaison, assignment_id=order.id, result=" ", rules=LATER
        )


def test_the_last_completion_asks_the_enterprise_to_confirm(demo: Database) -> None:
    case, orders = dispatched(demo, rules=R, codes=("drc", "epb"))
    for order, liaison in zip(orders, (DRC_LIAISON, 3003), strict=True):
        who = actor(demo, liaison)
        demo.call(assignments.acknowledge, actor=who, assignment_id=order.id, rules=LATER)
        demo.call(
            assignments.complete, actor=who, assignment_id=order.id, result="已办结", rules=LATER
        )
        waiting = demo.call(lambda s: s.get(Case, case.id))
        if order is orders[0]:
            assert waiting.status == CaseStatus.DISPATCHED  # the EPB is still working
            assert "case.confirm" not in templates_for(demo, WANG)
    assert waiting.status == CaseStatus.AWAITING_CONFIRMATION
    assert waiting.confirm_due_at is not None and waiting.confirm_due_at > LATER.now()
    told = templates_for(demo, WANG)
    assert told.count("assignment.completed") == 2 and told.count("case.confirm") == 1
    assert "assignment.completed.office" in templates_for(demo, DISPATCHER)


def test_a_return_needs_a_reason_and_goes_back_to_the_office(demo: Database) -> None:
    case, [order] = dispatched(demo, rules=R)
    liaison = actor(demo, DRC_LIAISON)
    with pytest.raises(InvalidInput):
        demo.call(
            assignments.return_assignment,
            actor=liaison,
            assignment_id=order.id,
            reason="",
            rules=LATER,
        )
    demo.call(
        assignments.return_assignment,
        actor=liaison,
        assignment_id=order.id,
        reason="应由国土局办理",
        rules=LATER,
    )
    assert "assignment.returned" in templates_for(demo, DISPATCHER)
    with pytest.raises(InvalidState):
        demo.call(assignments.acknowledge, actor=liaison, assignment_id=order.id, rules=LATER)
    tasks = demo.call(assignments.tasks, actor=liaison, limit=10)
    assert order.id not in [a.id for a in tasks]
    assert demo.call(lambda s: s.get(Case, case.id)).status == CaseStatus.NEW
