"""The prompt actions: one registry entry each (check, call, texts), and how users meet them."""

from __future__ import annotations

import string
from datetime import UTC, datetime

import pytest

from bot.db import Database
from models.enums import AssignmentStatus, CaseStatus
from services import assignments, callbacks, prompts
from services.errors import InvalidInput, InvalidState
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
    why="the prompt registry is Python; its actions are plain ORM writes",
)


def test_every_button_that_asks_for_a_text_has_one_action() -> None:
    assert prompts.BY_BUTTON == {
        "ret": "return",
        "prog": "progress",
        "done": "done",
        "ask": "ask_a",
        "ext": "extend",
        "pause": "pause",
    }
    assert set(prompts.BY_BUTTON) <= set(callbacks.GRAMMAR[callbacks.ASSIGNMENT])


def test_every_action_has_its_check_call_and_texts() -> None:
    assert set(prompts.ACTIONS) == {
        "return",
        "progress",
        "done",
        "ask_a",
        "ask_c",
        "decline",
        "answer",
        "unsat",
        "extend",
        "pause",
        "deny_ext",
        "dismiss_insp",
    }
    for name, action in prompts.ACTIONS.items():
        assert callable(action.check) and callable(action.run), name
        fields = {f for _, f, _, _ in string.Formatter().parse(action.question) if f}
        assert fields <= {"number", "question"}, name
        fields = {f for _, f, _, _ in string.Formatter().parse(action.done) if f}
        assert fields <= {"number"}, name


# -- the actions as a user meets them ----------------------------------------------------------

MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
R = RULES.at(MONDAY)


def test_a_stale_button_is_refused_before_any_typing(demo: Database) -> None:
    _case, [order] = dispatched(demo, rules=R)
    liaison = actor(demo, DRC_LIAISON)
    with pytest.raises(InvalidState, match="Sign for assignment"):
        demo.call(prompts.ask, actor=liaison, action="done", target=order.id, rules=R)
    # Nothing waits for an answer, so the next text is not taken as a result.
    with pytest.raises(InvalidInput, match="Nothing is waiting"):
        demo.call(prompts.answer, actor=liaison, text="已办结", rules=R)


def test_the_typed_result_completes_the_order_with_its_files(demo: Database) -> None:
    _case, [order] = dispatched(demo, rules=R)
    liaison = actor(demo, DRC_LIAISON)
    demo.call(assignments.acknowledge, actor=liaison, assignment_id=order.id, rules=R)
    checked = demo.call(prompts.ask, actor=liaison, action="done", target=order.id, rules=R)
    assert checked.number == order.number
    photo = {"kind": "photo", "file_id": "AgAC"}
    assert demo.call(prompts.add_attachment, actor=liaison, item=photo, rules=R) == 1
    action, done = demo.call(prompts.answer, actor=liaison, text="批复已下达", rules=R)
    assert action == "done" and done.status == AssignmentStatus.COMPLETED
    assert done.result == "批复已下达"
    assert "assignment.completed" in templates_for(demo, WANG)
    with pytest.raises(InvalidInput, match="Nothing is waiting"):
        demo.call(prompts.answer, actor=liaison, text="again", rules=R)


def test_only_a_completion_takes_files(demo: Database) -> None:
    _case, [order] = dispatched(demo, rules=R)
    liaison = actor(demo, DRC_LIAISON)
    demo.call(prompts.ask, actor=liaison, action="return", target=order.id, rules=R)
    with pytest.raises(InvalidInput, match="answer with text"):
        demo.call(prompts.add_attachment, actor=liaison, item={"file_id": "x"}, rules=R)
    action, returned = demo.call(prompts.answer, actor=liaison, text="属国土局", rules=R)
    assert action == "return" and returned.status == AssignmentStatus.RETURNED
    assert "assignment.returned" in templates_for(demo, DISPATCHER)


def test_the_office_declines_through_its_prompt(demo: Database) -> None:
    case = file_case(demo, rules=R)
    office = actor(demo, DISPATCHER)
    demo.call(prompts.ask, actor=office, action="decline", target=case.id, rules=R)
    action, declined = demo.call(prompts.answer, actor=office, text="属司法程序", rules=R)
    assert action == "decline" and declined.status == CaseStatus.DECLINED
    assert "case.declined" in templates_for(demo, WANG)
    with pytest.raises(InvalidInput, match="Unknown choice"):
        demo.call(prompts.ask, actor=office, action="sing", target=case.id, rules=R)
