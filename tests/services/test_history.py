"""/history <assignment>: every step of one assignment, to those allowed to see it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.db import Database
from models import Assignment, Note, SupervisionOrder
from scheduler.durations import Duration
from services import assignments, cases, extensions, history
from services.deadlines.sweep import sweep
from services.errors import NotFound
from services.messages.history import history_text
from tests.rules import RULES
from tests.services.deadlines.world import (
    CONTACT,
    DISPATCHER,
    DRC,
    DRC_HEAD,
    MONDAY,
    POWER,
    SUPERVISOR,
    actor,
    complete,
    dispatch,
    sign_for,
)

pytestmark = pytest.mark.dialects(
    "sqlite",
    why="a timeline is read from audit and assignment rows with plain ORM queries",
)

MINUTE = timedelta(minutes=1)
PARK_OFFICER, ADMIN, OTHER_CONTACT, EPB = 2001, 9001, 1002, 3003


def text(db: Database, number: str, lang: str, who: int = DISPATCHER) -> list[str]:
    found = db.call(history.assignment_history, actor=actor(db, who), number=number)
    return history_text(lang, found, zone=RULES.zone).split("\n")


def run(db: Database, at) -> None:
    db.call(sweep, rules=RULES.at(at))


def escalated(db: Database) -> tuple[Assignment, Assignment]:
    """DRC's assignment: reminded, signed for late, noted, reminded, missed, supervised, vetoed."""
    drc, power = dispatch(db, codes=("drc", "power"))
    run(db, drc.ack_due_at + MINUTE)
    sign_for(db, drc, drc.ack_due_at + 2 * MINUTE)
    db.call(
        assignments.add_progress,
        actor=actor(db, DRC),
        assignment_id=drc.id,
        text="已受理，正在审查",
        rules=RULES.at(drc.ack_due_at + 3 * MINUTE),
    )
    run(db, RULES.calendar.subtract(drc.due_at, Duration.parse("4h")) + MINUTE)
    run(db, drc.due_at + MINUTE)
    order = db.call(lambda s: s.get(SupervisionOrder, 1))
    run(db, order.due_at + MINUTE)
    return drc, power


@pytest.fixture
def world(demo: Database) -> Database:
    return demo


def test_the_escalation_reads_step_by_step_in_english(world: Database) -> None:
    drc, _ = escalated(world)
    lines = text(world, drc.number, "en")
    assert lines[0] == f"<b>History of assignment {drc.number}</b>"
    steps = lines[lines.index("<b>Timeline</b>") + 1 :]
    expected = [
        "Issued to Development &amp; Reform Commission, deadline 2026-11-30 18:00",
        "Reminder sent: not signed for yet",
        "Signed for by Development &amp; Reform Commission",
        "Progress: 已受理，正在审查",
        "Reminder sent, 4h before the deadline",
        "Deadline missed: slow action, 2 points off",
        f"Supervision order {drc.number}-D issued, deadline",
        f"Supervision order {drc.number}-D missed: inaction, one-vote veto for 2026",
    ]
    assert len(steps) == len(expected)
    for line, words in zip(steps, expected, strict=True):
        assert words in line, (line, words)
    assert steps[0].startswith("2026-11-23 10:00  ")


def test_the_same_history_in_chinese(world: Database) -> None:
    drc, _ = escalated(world)
    joined = "\n".join(text(world, drc.number, "zh", who=DRC))
    for words in (
        f"交办单 {drc.number} 的办理记录",
        "交办给县发改委，办结时限 2026-11-30 18:00",
        "已发送提醒：尚未签收",
        "县发改委已签收",
        "进展：已受理，正在审查",
        "已发送提醒：距办结时限 4h",
        "逾期未办结：慢作为，扣 2 分",
        f"督办单 {drc.number}-D 已下发，期限",
        f"督办单 {drc.number}-D 逾期：不作为，2026 年度一票否决",
    ):
        assert words in joined, words


def test_extension_pause_and_completion_show(world: Database) -> None:
    (issued,) = dispatch(world)
    sign_for(world, issued, MONDAY + MINUTE)
    change = world.call(
        extensions.request_extension,
        actor=actor(world, DRC),
        assignment_id=issued.id,
        requested="2026-12-04",
        reason="等待省级批复",
        rules=RULES.at(MONDAY + 2 * MINUTE),
    )
    world.call(
        extensions.approve,
        actor=actor(world, DISPATCHER),
        change_id=change.id,
        rules=RULES.at(MONDAY + 3 * MINUTE),
    )
    world.call(
        extensions.pause,
        actor=actor(world, DRC),
        assignment_id=issued.id,
        reason="请补充营业执照副本",
        rules=RULES.at(MONDAY + timedelta(hours=1)),
    )
    question = world.call(
        lambda s: s.exec(select(Note).where(Note.assignment_id == issued.id)).one()
    )
    world.call(
        cases.answer_question,
        actor=actor(world, CONTACT),
        note_id=question.id,
        answer="已补充",
        rules=RULES.at(MONDAY + timedelta(hours=2)),
    )
    complete(world, issued, MONDAY + timedelta(hours=3))
    steps = "\n".join(text(world, issued.number, "en", who=CONTACT))
    for words in (
        f"Extension of {issued.number} requested to 2026-12-04 18:00: 等待省级批复",
        f"Extension of {issued.number} approved: new deadline 2026-12-04 18:00",
        f"Clock of {issued.number} paused, waiting for the enterprise: 请补充营业执照副本",
        "Question: 请补充营业执照副本",
        "Answer: 已补充",
        f"Clock of {issued.number} running again: new deadline",
        "Completed by Development &amp; Reform Commission: 批复已下达",
    ):
        assert words in steps, words


@pytest.mark.parametrize(
    "who",
    [DISPATCHER, PARK_OFFICER, SUPERVISOR, ADMIN, DRC, DRC_HEAD, CONTACT],
    ids=["dispatcher", "park", "supervisor", "admin", "liaison", "head", "enterprise"],
)
def test_those_concerned_may_see_it(world: Database, who: int) -> None:
    (issued,) = dispatch(world)
    lines = text(world, issued.number, "en", who=who)
    assert any("Issued to" in line for line in lines)


@pytest.mark.parametrize(
    "who", [POWER, EPB, OTHER_CONTACT], ids=["other-dept-same-case", "other-dept", "other-firm"]
)
def test_anyone_else_is_refused_as_if_it_did_not_exist(world: Database, who: int) -> None:
    drc, _ = dispatch(world, codes=("drc", "power"))
    with pytest.raises(NotFound) as hidden:
        text(world, drc.number, "en", who=who)
    with pytest.raises(NotFound) as unknown:
        text(world, "2026-9999-1", "en", who=who)
    assert str(hidden.value) == f"There is no assignment {drc.number} that you can see."
    assert hidden.value.msgid == unknown.value.msgid
