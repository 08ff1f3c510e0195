"""Extensions and pauses of the completion clock, across the 2026 National Day week."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from bot.db import Database, upgrade
from bot.settings import load_settings
from models import Assignment, AuditEvent, Case, DeadlineChange, OutboxMessage, User
from models.enums import RequestStatus
from services import assignments, callbacks, cases, extensions
from services.demo import seed_demo
from services.dispatch import orders
from services.errors import InvalidInput, InvalidState, NotAllowed, NotFound
from services.messages.case import case_text
from services.org import sync_organisation
from services.users import Actor, load_actor
from tests.rules import RULES

pytestmark = pytest.mark.dialects(
    "sqlite",
    why="the working-day arithmetic is Python (scheduler/); the rows are plain ORM writes",
)


def local(day: int, month: int = 10, hour: int = 10) -> datetime:
    """A Shanghai wall-clock time in 2026, as UTC."""
    return datetime(2026, month, day, hour - 8, 0, tzinfo=UTC)


MONDAY = local(28, 9)  # the Monday before the National Day week
DRC_LIAISON, DRC_HEAD, OTHER_LIAISON, CONTACT, OFFICER, DISPATCHER = (
    3002,
    3101,
    3001,
    1001,
    2001,
    2002,
)


@pytest.fixture
def world(db_url: str):
    settings = load_settings()
    upgrade(db_url)
    db = Database(db_url)
    org = settings.organisation
    db.call(sync_organisation, parks=org.parks, departments=org.departments)
    db.call(seed_demo)
    yield db
    db.dispose()


def actor(db: Database, telegram_id: int) -> Actor:
    def load(session: Session) -> Actor:
        user = session.exec(select(User).where(User.telegram_id == telegram_id)).one()
        return load_actor(session, user)

    return db.call(load)


def outbox(db: Database, telegram_id: int, template: str) -> list[OutboxMessage]:
    return db.call(
        lambda s: list(
            s.exec(
                select(OutboxMessage).where(
                    OutboxMessage.chat_id == telegram_id, OutboxMessage.template == template
                )
            ).all()
        )
    )


def dispatched(db: Database) -> Assignment:
    """A permit case for the development commission, due Saturday 10 October (a make-up day)."""
    case = db.call(
        cases.submit_case,
        actor=actor(db, CONTACT),
        category="permit",
        description="二期增容用电审批",
        rules=RULES.at(MONDAY),
    ).case
    [assignment] = db.call(
        orders.dispatch_case,
        actor=actor(db, OFFICER),
        case_id=case.id,
        department_codes=["drc"],
        rules=RULES.at(MONDAY),
    )
    assert assignment.due_at == local(10, hour=18)
    return assignment


def fresh(db: Database, assignment_id: int) -> Assignment:
    return db.call(lambda s: s.get(Assignment, assignment_id))


def timeline(db: Database, assignment: Assignment, lang: str = "en") -> list[str]:
    number = fresh(db, assignment.id).number.rsplit("-", 1)[0]
    view = db.call(cases.case_view, actor=actor(db, DISPATCHER), number=number)
    return case_text(lang, view, timeline=True, zone=RULES.zone).split("\n")


def request(db: Database, assignment: Assignment, date: str, at: datetime, who: int = DRC_LIAISON):
    return db.call(
        extensions.request_extension,
        actor=actor(db, who),
        assignment_id=assignment.id,
        requested=date,
        reason="等待省级批复",
        rules=RULES.at(at),
    )


def test_an_approved_extension_moves_the_deadline_once(world) -> None:
    db = world
    assignment = dispatched(db)
    change = request(db, assignment, "2026-10-20", local(29, 9))
    assert change.new_due_at == local(20, hour=18) and change.old_due_at == local(10, hour=18)
    ask = outbox(db, DISPATCHER, "extension.requested")
    assert len(ask) == 1 and "等待省级批复" in ask[0].text
    assert ask[0].buttons[0][0]["data"] == callbacks.extension("ok", change.id)
    assert outbox(db, OFFICER, "extension.requested")  # the case's park officer decides too
    with pytest.raises(InvalidState):  # a second open request
        request(db, assignment, "2026-10-22", local(29, 9))
    with pytest.raises(NotFound):  # only the department's liaison asks
        request(db, assignment, "2026-10-22", local(29, 9), who=OTHER_LIAISON)
    with pytest.raises(NotAllowed):  # the liaison does not decide
        db.call(
            extensions.approve,
            actor=actor(db, DRC_LIAISON),
            change_id=change.id,
            rules=RULES.at(local(30, 9)),
        )

    db.call(
        extensions.approve,
        actor=actor(db, DISPATCHER),
        change_id=change.id,
        rules=RULES.at(local(30, 9)),
    )
    with pytest.raises(InvalidState):  # a double tap acts once
        db.call(
            extensions.approve,
            actor=actor(db, OFFICER),
            change_id=change.id,
            rules=RULES.at(local(30, 9)),
        )
    moved = fresh(db, assignment.id)
    assert moved.due_at == local(20, hour=18) and moved.deadline_version == 2
    assert moved.next_check_at is not None and moved.next_check_at <= moved.due_at
    stored = db.call(lambda s: s.get(DeadlineChange, change.id))
    assert stored.status == RequestStatus.APPROVED and stored.decided_at == local(30, 9)
    for told in (DRC_LIAISON, DRC_HEAD, CONTACT):
        [notice] = outbox(db, told, "extension.approved")
        assert "2026-10-20 18:00" in notice.text
    card, _ = db.call(
        assignments.card, actor=actor(db, DRC_LIAISON), assignment_id=assignment.id, rules=RULES
    )
    assert card.assignment.due_at == local(20, hour=18)
    lines = timeline(db, assignment)
    assert any("approved: new deadline 2026-10-20 18:00" in line for line in lines)
    assert any("requested to 2026-10-20 18:00: 等待省级批复" in line for line in lines)
    actions = db.call(lambda s: list(s.exec(select(AuditEvent.action)).all()))
    assert {"extension.request", "extension.approve"} <= set(actions)


def test_refusals_late_or_not_later(world) -> None:
    db = world
    assignment = dispatched(db)
    with pytest.raises(InvalidInput):  # not later than the current deadline
        request(db, assignment, "2026-10-09", local(29, 9))
    with pytest.raises(InvalidInput):  # unreadable
        request(db, assignment, "soon", local(29, 9))
    with pytest.raises(InvalidState):  # after the deadline
        request(db, assignment, "2026-10-20", local(12, 10))


def test_a_denied_extension_tells_the_liaison_why(world) -> None:
    db = world
    assignment = dispatched(db)
    change = request(db, assignment, "2026-10-20", local(29, 9))
    with pytest.raises(InvalidInput):
        db.call(
            extensions.deny,
            actor=actor(db, DISPATCHER),
            change_id=change.id,
            reason=" ",
            rules=RULES.at(local(30, 9)),
        )
    db.call(
        extensions.deny,
        actor=actor(db, DISPATCHER),
        change_id=change.id,
        reason="材料已齐，请按期办结",
        rules=RULES.at(local(30, 9)),
    )
    assert fresh(db, assignment.id).due_at == local(10, hour=18)
    [notice] = outbox(db, DRC_LIAISON, "extension.denied")
    assert "材料已齐，请按期办结" in notice.text
    assert any("denied: 材料已齐" in line for line in timeline(db, assignment))
    # Denied, it is no longer open: the liaison may ask again.
    assert request(db, assignment, "2026-10-15", local(30, 9)).status == RequestStatus.REQUESTED


def test_a_pause_across_national_day_moves_the_deadline_by_the_working_time(world) -> None:
    db = world
    assignment = dispatched(db)
    db.call(
        extensions.pause,
        actor=actor(db, DRC_LIAISON),
        assignment_id=assignment.id,
        reason="请补充营业执照副本",
        rules=RULES.at(local(30, 9)),
    )
    assert fresh(db, assignment.id).next_check_at is None  # no reminders, no overdue
    with pytest.raises(InvalidState):
        db.call(
            extensions.pause,
            actor=actor(db, DRC_LIAISON),
            assignment_id=assignment.id,
            reason="again",
            rules=RULES.at(local(30, 9)),
        )
    [question] = outbox(db, CONTACT, "note.question")
    assert "请补充营业执照副本" in question.text
    note_id = callbacks.decode(question.buttons[0][0]["data"]).id()
    # Paused Wednesday 30 September 10:00; answered Friday 9 October 10:00. The working time
    # that stood still: the rest of the 30th and the 8th (the holiday week does not count).
    db.call(
        cases.answer_question,
        actor=actor(db, CONTACT),
        note_id=note_id,
        answer="已上传",
        rules=RULES.at(local(9)),
    )
    moved = fresh(db, assignment.id)
    assert moved.due_at == local(13, hour=18) and moved.deadline_version == 2
    assert moved.next_check_at is not None
    [notice] = outbox(db, DRC_LIAISON, "deadline.resumed")
    assert "2026-10-13 18:00" in notice.text
    lines = timeline(db, assignment)
    assert any("paused, waiting for the enterprise: 请补充营业执照副本" in x for x in lines)
    assert any("running again: new deadline 2026-10-13 18:00" in x for x in lines)
    zh = timeline(db, assignment, "zh")
    assert zh != lines


def test_an_answer_to_another_question_does_not_resume(world) -> None:
    db = world
    assignment = dispatched(db)
    db.call(
        extensions.pause,
        actor=actor(db, DRC_LIAISON),
        assignment_id=assignment.id,
        reason="请补充材料",
        rules=RULES.at(local(30, 9)),
    )
    case = db.call(lambda s: s.get(Case, assignment.case_id))
    other = db.call(
        cases.ask_enterprise,
        actor=actor(db, OFFICER),
        case_id=case.id,
        question="联系电话？",
        rules=RULES.at(local(30, 9)),
    )
    db.call(
        cases.answer_question,
        actor=actor(db, CONTACT),
        note_id=other.id,
        answer="123",
        rules=RULES.at(local(9)),
    )
    assert fresh(db, assignment.id).next_check_at is None
    assert fresh(db, assignment.id).due_at == local(10, hour=18)


def test_forged_decisions_are_refused(world) -> None:
    db = world
    assignment = dispatched(db)
    change = request(db, assignment, "2026-10-20", local(29, 9))
    for forged in ("v1:x:ok:abc", "v1:x:ok", "v1:x:yes:1", "x:ok:1²"):
        with pytest.raises(callbacks.Stale):
            callbacks.decode(forged, callbacks.EXTENSION)
    with pytest.raises(NotFound):
        db.call(
            extensions.approve,
            actor=actor(db, DISPATCHER),
            change_id=change.id + 1000,
            rules=RULES.at(local(30, 9)),
        )
    with pytest.raises(NotAllowed):  # the enterprise does not decide its own deadlines
        db.call(
            extensions.deny,
            actor=actor(db, CONTACT),
            change_id=change.id,
            reason="no",
            rules=RULES.at(local(30, 9)),
        )
    assert fresh(db, assignment.id).due_at == local(10, hour=18)
