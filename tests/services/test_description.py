"""Descriptions as long as Telegram carries: one message in one go, longer ones in parts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.db import Database
from models import Case
from services import cases, report
from services.errors import InvalidInput
from services.users import Actor
from tests import factories
from tests.factories import WANG
from tests.rules import RULES

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
R = RULES.at(NOW)


def described(db: Database, actor: Actor, *texts: str) -> str:
    """Open the form, answer up to the description, send ``texts``; the draft's description."""
    db.call(report.start, actor=actor, rules=R)
    db.call(report.choose_category, actor=actor, category="utility", rules=R)
    db.call(report.choose_project, actor=actor, project_id=0, rules=R)
    for text in texts:
        draft = db.call(report.set_description, actor=actor, text=text, rules=R)
    return draft.data["description"]


def test_one_message_of_any_length_is_a_description(demo: Database) -> None:
    longest = "电" * (4096 - len("/report utility "))
    submitted = demo.call(
        cases.submit_case,
        actor=factories.actor(demo, WANG),
        category="utility",
        description=longest,
        idempotency_key="m:1",
        rules=R,
    )
    stored = demo.call(lambda s: s.get(Case, submitted.case.id))
    assert stored.description == longest


def test_the_guided_form_appends_parts_until_the_user_goes_on(demo: Database) -> None:
    wang = factories.actor(demo, WANG)
    parts = ["水" * 4096, "电" * 4096, "  还有一点  "]
    assert described(demo, wang, *parts) == "水" * 4096 + "\n" + "电" * 4096 + "\n还有一点"
    demo.call(report.to_summary, actor=wang, rules=R)
    # At the summary, text is no longer taken as description.
    with pytest.raises(InvalidInput):
        demo.call(report.set_description, actor=wang, text="好的", rules=R)
    submitted = demo.call(report.submit, actor=wang, rules=R)
    stored = demo.call(lambda s: s.get(Case, submitted.case.id))
    assert stored.description == "\n".join(p.strip() for p in parts)


def test_past_the_cap_the_part_is_refused_and_what_came_before_kept(demo: Database) -> None:
    wang = factories.actor(demo, WANG)
    before = described(demo, wang, "一" * 4096, "二" * 4096)
    with pytest.raises(InvalidInput) as refused:
        demo.call(report.set_description, actor=wang, text="三" * 4096, rules=R)
    assert refused.value.params == {
        "length": 3 * 4096 + 2,
        "limit": cases.MAX_DESCRIPTION,
        "kept": len(before),
    }
    assert str(cases.MAX_DESCRIPTION) in str(refused.value)
    summary = demo.call(report.current_summary, actor=wang, rules=R)
    assert summary["description"] == before
    # A shorter addition still fits.
    after = described_more(demo, wang, "三" * (cases.MAX_DESCRIPTION - len(before) - 1))
    assert len(after) == cases.MAX_DESCRIPTION


def described_more(db: Database, actor: Actor, text: str) -> str:
    draft = db.call(report.set_description, actor=actor, text=text, rules=R)
    return draft.data["description"]


def test_editing_the_description_replaces_it_then_takes_parts_again(demo: Database) -> None:
    wang = factories.actor(demo, WANG)
    described(demo, wang, "第一版描述内容", "补充")
    demo.call(report.to_summary, actor=wang, rules=R)
    demo.call(report.edit, actor=wang, part="desc", rules=R)
    assert described_more(demo, wang, "第二版描述内容") == "第二版描述内容"
    assert described_more(demo, wang, "再补充") == "第二版描述内容\n再补充"
