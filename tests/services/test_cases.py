"""Cases as a service: who hears of a new case, a decline, a question and its answer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.db import Database
from models import AuditEvent, Case
from models.enums import CaseStatus
from services import cases
from services.errors import InvalidInput, NotAllowed, NotFound
from tests.factories import (
    DISPATCHER,
    PARK_OFFICER,
    WANG,
    actor,
    file_case,
    outbox_for,
    templates_for,
)
from tests.rules import RULES

pytestmark = pytest.mark.dialects(
    "sqlite",
    why=(
        "filing a case and who hears of it are plain ORM writes and outbox rows (the outbox "
        "itself runs on both in tests/bot)"
    ),
)

# Monday 2026-11-23 10:00 in Shanghai.
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
R = RULES.at(MONDAY)


def test_a_new_case_is_announced_to_the_park_office_and_the_dispatchers(demo: Database) -> None:
    case = file_case(demo, rules=R)
    assert case.status == CaseStatus.NEW and case.created_at == MONDAY
    assert case.number == "2026-0001"
    for office in (PARK_OFFICER, DISPATCHER):
        [new] = outbox_for(demo, office)
        assert new.template == "case.new" and "2026-0001" in new.text
    assert templates_for(demo, WANG) == []  # the reporter is answered in the chat, not the outbox


def test_the_same_submission_twice_files_one_case(demo: Database) -> None:
    wang = actor(demo, WANG)
    first, again = (
        demo.call(
            cases.submit_case,
            actor=wang,
            category="utility",
            description="园区停电三天",
            idempotency_key="draft:9",
            rules=R,
        )
        for _ in range(2)
    )
    assert first.created and not again.created and again.case.id == first.case.id
    assert len(outbox_for(demo, DISPATCHER)) == 1


def test_an_empty_description_and_an_unknown_category_are_refused(demo: Database) -> None:
    wang = actor(demo, WANG)
    with pytest.raises(InvalidInput):
        demo.call(cases.submit_case, actor=wang, category="permit", description="  ", rules=R)
    with pytest.raises(InvalidInput):
        demo.call(cases.submit_case, actor=wang, category="weather", description="雨", rules=R)
    assert demo.call(lambda s: s.exec(select(Case)).all()) == []


def test_a_decline_tells_the_enterprise_why_and_closes_the_case(demo: Database) -> None:
    case = file_case(demo, rules=R)
    office = actor(demo, DISPATCHER)
    with pytest.raises(InvalidInput):
        demo.call(cases.decline_case, actor=office, case_id=case.id, reason=" ", rules=R)
    declined = demo.call(
        cases.decline_case, actor=office, case_id=case.id, reason="属司法程序", rules=R
    )
    assert declined.status == CaseStatus.DECLINED and declined.closed_at == MONDAY
    [told] = [m for m in outbox_for(demo, WANG) if m.template == "case.declined"]
    assert "属司法程序" in told.text
    actions = demo.call(lambda s: [e.action for e in s.exec(select(AuditEvent)).all()])
    assert "case.decline" in actions


def test_only_the_office_may_decline(demo: Database) -> None:
    case = file_case(demo, rules=R)
    with pytest.raises(NotAllowed):
        demo.call(cases.decline_case, actor=actor(demo, WANG), case_id=case.id, reason="x", rules=R)
    assert demo.call(lambda s: s.get(Case, case.id)).status == CaseStatus.NEW


def test_the_offices_question_reaches_the_enterprise_and_the_answer_comes_back(
    demo: Database,
) -> None:
    case = file_case(demo, rules=R)
    office, wang = actor(demo, DISPATCHER), actor(demo, WANG)
    note = demo.call(
        cases.ask_enterprise, actor=office, case_id=case.id, question="哪个地块？", rules=R
    )
    assert demo.call(lambda s: s.get(Case, case.id)).status == CaseStatus.INFO_REQUESTED
    [question] = [m for m in outbox_for(demo, WANG) if m.template == "note.question"]
    assert "哪个地块？" in question.text
    demo.call(cases.answer_question, actor=wang, note_id=note.id, answer="3号地块", rules=R)
    answers = [m for m in outbox_for(demo, DISPATCHER) if m.template == "note.answer"]
    assert len(answers) == 1 and "3号地块" in answers[0].text


def test_my_cases_lists_only_the_enterprises_own(demo: Database) -> None:
    file_case(demo, rules=R)
    assert [v.case.number for v in demo.call(cases.my_cases, actor=actor(demo, WANG), limit=5)]
    assert demo.call(cases.my_cases, actor=actor(demo, 1002), limit=5) == []
    # Another enterprise's case is not found, rather than refused: its number says nothing.
    with pytest.raises(NotFound):
        demo.call(cases.case_view, actor=actor(demo, 1002), number="2026-0001")
