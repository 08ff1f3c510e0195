"""The enterprise's confirmation as a service: close, reopen with a new deadline, or by default."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.db import Database
from models import Assignment, Case
from models.enums import AssignmentStatus, CaseStatus, Satisfaction
from services import assignments, confirmation
from services.errors import InvalidInput, InvalidState, NotAllowed, NotFound
from tests.factories import (
    DISPATCHER,
    DRC_LIAISON,
    WANG,
    actor,
    dispatched,
    templates_for,
)
from tests.rules import RULES

pytestmark = pytest.mark.dialects(
    "sqlite",
    why="closing and reopening are plain ORM updates by one writer",
)

MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
R = RULES.at(MONDAY)
DONE = RULES.at(MONDAY + timedelta(hours=4))


def completed_case(db: Database) -> tuple[Case, Assignment]:
    """A case whose one order (to the DRC) is done: it waits for the enterprise."""
    case, [order] = dispatched(db, rules=R)
    liaison = actor(db, DRC_LIAISON)
    db.call(assignments.acknowledge, actor=liaison, assignment_id=order.id, rules=DONE)
    db.call(
        assignments.complete, actor=liaison, assignment_id=order.id, result="已批复", rules=DONE
    )
    return db.call(lambda s: s.get(Case, case.id)), order


def test_satisfied_closes_the_case_and_tells_the_office(demo: Database) -> None:
    case, _ = completed_case(demo)
    closed = demo.call(
        confirmation.confirm,
        actor=actor(demo, WANG),
        case_id=case.id,
        satisfaction=Satisfaction.MOSTLY,
        rules=DONE,
    )
    assert closed.status == CaseStatus.CLOSED and closed.satisfaction == Satisfaction.MOSTLY
    assert "case.closed" in templates_for(demo, DISPATCHER)
    with pytest.raises(InvalidState, match="not waiting for your confirmation"):
        demo.call(
            confirmation.confirm,
            actor=actor(demo, WANG),
            case_id=case.id,
            satisfaction=Satisfaction.SATISFIED,
            rules=DONE,
        )


def test_not_satisfied_needs_a_reason_and_reopens_with_a_fresh_deadline(demo: Database) -> None:
    case, order = completed_case(demo)
    wang = actor(demo, WANG)
    with pytest.raises(InvalidInput):
        demo.call(
            confirmation.confirm,
            actor=wang,
            case_id=case.id,
            satisfaction=Satisfaction.UNSATISFIED,
            rules=DONE,
        )
    later = RULES.at(MONDAY + timedelta(days=1))
    demo.call(
        confirmation.confirm,
        actor=wang,
        case_id=case.id,
        satisfaction=Satisfaction.UNSATISFIED,
        note="批复内容有误",
        rules=later,
    )
    reopened = demo.call(lambda s: s.get(Assignment, order.id))
    assert reopened.status == AssignmentStatus.ACKNOWLEDGED and reopened.reopened_count == 1
    assert reopened.due_at == RULES.calendar.add(later.now(), RULES.sla("permit").completion)
    assert demo.call(lambda s: s.get(Case, case.id)).status == CaseStatus.DISPATCHED
    assert "assignment.reopened" in templates_for(demo, DRC_LIAISON)
    assert "assignment.reopened.office" in templates_for(demo, DISPATCHER)


def test_only_the_cases_enterprise_confirms(demo: Database) -> None:
    case, _ = completed_case(demo)
    for outsider in (1002, DISPATCHER):
        with pytest.raises((NotAllowed, NotFound)):
            demo.call(
                confirmation.confirm,
                actor=actor(demo, outsider),
                case_id=case.id,
                satisfaction=Satisfaction.SATISFIED,
                rules=DONE,
            )
    assert demo.call(lambda s: s.get(Case, case.id)).status == CaseStatus.AWAITING_CONFIRMATION


def test_without_an_answer_the_sweep_closes_the_case_as_confirmed(demo: Database) -> None:
    case, _ = completed_case(demo)
    assert case.confirm_due_at is not None
    early = RULES.at(case.confirm_due_at - timedelta(minutes=1))
    assert demo.call(confirmation.auto_confirm, rules=early) == 0
    assert demo.call(confirmation.auto_confirm, rules=RULES.at(case.confirm_due_at)) == 1
    closed = demo.call(lambda s: s.get(Case, case.id))
    assert closed.status == CaseStatus.CLOSED and closed.confirmed_by_default
    assert "case.closed.default" in templates_for(demo, WANG)
    assert "case.closed.default" in templates_for(demo, DISPATCHER)
    # Idempotent: a second sweep finds nothing more to close.
    assert demo.call(confirmation.auto_confirm, rules=RULES.at(case.confirm_due_at)) == 0
