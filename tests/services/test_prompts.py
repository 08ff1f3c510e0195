"""The prompt actions: one registry entry each, with its check, its call and its texts."""

from __future__ import annotations

import string

from services import callbacks, prompts


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
    }
    for name, action in prompts.ACTIONS.items():
        assert callable(action.check) and callable(action.run), name
        fields = {f for _, f, _, _ in string.Formatter().parse(action.question) if f}
        assert fields <= {"number", "question"}, name
        fields = {f for _, f, _, _ in string.Formatter().parse(action.done) if f}
        assert fields <= {"number"}, name
