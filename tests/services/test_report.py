"""The guided report form as a service: the steps, what is filed, and what is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.db import Database
from models import Attachment, Case, Project
from models.enums import CaseStatus
from services import report
from services.errors import InvalidInput, InvalidState, NotAllowed
from tests.factories import DISPATCHER, DRC_LIAISON, WANG, actor, templates_for
from tests.rules import RULES

pytestmark = pytest.mark.dialects(
    "sqlite",
    why="the guided form's steps are Python over one draft row",
)

MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
R = RULES.at(MONDAY)
PHOTO = {"kind": "photo", "file_id": "AgACAgUAAx0"}


def test_the_form_files_one_case_with_its_project_and_photo(demo: Database) -> None:
    wang = actor(demo, WANG)
    demo.call(report.start, actor=wang, rules=R)
    draft, projects = demo.call(report.choose_category, actor=wang, category="utility", rules=R)
    assert draft.step == "project" and [p.name for p in projects] == ["二期增容项目"]
    draft = demo.call(report.choose_project, actor=wang, project_id=projects[0].id, rules=R)
    assert draft.step == "description"
    draft = demo.call(report.set_description, actor=wang, text="  园区变电站容量不足  ", rules=R)
    assert draft.step == "attachments"
    demo.call(report.add_attachment, actor=wang, item=PHOTO, rules=R)
    summary = demo.call(report.to_summary, actor=wang, rules=R)
    assert summary.step == "summary"
    shown = demo.call(report.current_summary, actor=wang, rules=R)
    assert shown["project_name"] == "二期增容项目" and shown["description"] == "园区变电站容量不足"
    submitted = demo.call(report.submit, actor=wang, rules=R)
    case = submitted.case
    assert (case.category, case.project_id, case.status) == (
        "utility",
        projects[0].id,
        CaseStatus.NEW,
    )
    files = demo.call(lambda s: s.exec(select(Attachment)).all())
    assert [f.file_id for f in files] == [PHOTO["file_id"]]
    assert "case.new" in templates_for(demo, DISPATCHER)
    # The form is closed: a second Submit (a double tap) files nothing more.
    with pytest.raises(InvalidState, match="no longer open"):
        demo.call(report.submit, actor=wang, rules=R)
    assert len(demo.call(lambda s: s.exec(select(Case)).all())) == 1


def test_only_enterprise_contacts_may_report(demo: Database) -> None:
    with pytest.raises(NotAllowed, match="enterprise contacts"):
        demo.call(report.start, actor=actor(demo, DRC_LIAISON), rules=R)


def test_another_enterprises_project_is_refused(demo: Database) -> None:
    wang = actor(demo, WANG)
    demo.call(report.start, actor=wang, rules=R)
    demo.call(report.choose_category, actor=wang, category="dispute", rules=R)
    conchs = demo.call(
        lambda s: s.exec(select(Project).where(Project.name != "二期增容项目")).first()
    )
    assert conchs is not None
    with pytest.raises(NotAllowed):
        demo.call(report.choose_project, actor=wang, project_id=conchs.id, rules=R)


def test_answers_out_of_turn_are_refused(demo: Database) -> None:
    wang = actor(demo, WANG)
    demo.call(report.start, actor=wang, rules=R)
    with pytest.raises(InvalidInput, match="answer the question above"):
        demo.call(report.set_description, actor=wang, text="跳过分类", rules=R)
    with pytest.raises(InvalidInput, match="answer the question above"):
        demo.call(report.submit, actor=wang, rules=R)


def test_a_form_left_alone_expires_and_a_cancelled_one_files_nothing(demo: Database) -> None:
    wang = actor(demo, WANG)
    demo.call(report.start, actor=wang, rules=R)
    expired = RULES.at(MONDAY + RULES.conversation_ttl + timedelta(seconds=1))
    with pytest.raises(InvalidState, match="no longer open"):
        demo.call(report.choose_category, actor=wang, category="permit", rules=expired)
    demo.call(report.start, actor=wang, rules=R)
    assert demo.call(report.cancel, actor=wang) is True
    with pytest.raises(InvalidState):
        demo.call(report.current_summary, actor=wang, rules=R)
    assert demo.call(lambda s: s.exec(select(Case)).all()) == []
