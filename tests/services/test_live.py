"""Cards stay current: every state change queues an edit of the messages that show that state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.db import Database
from bot.i18n import t
from models import Assignment, Case, LiveMessage, OutboxMessage
from models.enums import Satisfaction
from services import assignments, callbacks, cases, confirmation, live, outbox
from services.dispatch import orders
from services.users import language_of
from tests.rules import RULES
from tests.services.test_workflow import MONDAY, actor


@pytest.fixture
def world(demo: Database) -> Database:
    """The seeded demo organisation, on SQLite and PostgreSQL."""
    return demo


CONTACT, OFFICER, DISPATCHER, GOV, DRC = 1001, 2001, 2002, 3001, 3002
LATER = MONDAY + timedelta(hours=2)


def rows(db: Database, **where: object) -> list[OutboxMessage]:
    def read(session: Session) -> list[OutboxMessage]:
        query = select(OutboxMessage).order_by(OutboxMessage.id)  # type: ignore[arg-type]
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        return list(session.exec(query).all())

    return db.call(read)


def edits(db: Database, chat: int, live_key: str) -> list[OutboxMessage]:
    return rows(db, chat_id=chat, kind="edit", live_key=live_key)


def deliver_all(db: Database) -> None:
    """What the worker does for every pending row: sent, and where a live message landed."""

    def mark(session: Session) -> None:
        pending = session.exec(select(OutboxMessage).where(OutboxMessage.status == "pending"))
        for number, row in enumerate(pending.all(), start=1000):
            assert row.id is not None
            outbox.record_sent(session, row_id=row.id, message_id=number + row.id, now=LATER)

    db.call(mark)


def labels(row: OutboxMessage) -> list[str]:
    return [b["text"] for line in row.buttons or [] for b in line]


def report(db: Database) -> Case:
    return db.call(
        cases.submit_case,
        actor=actor(db, CONTACT),
        category="permit",
        description="二期增容用电审批：省里10天窗口期即将关闭",
        idempotency_key="u:live",
        rules=RULES.at(MONDAY),
    ).case


def dispatch(db: Database, case: Case, *codes: str, by: int = OFFICER) -> list:
    return db.call(
        orders.dispatch_case,
        actor=actor(db, by),
        case_id=case.id,
        department_codes=list(codes),
        rules=RULES.at(MONDAY + timedelta(minutes=5)),
    )


def test_a_dispatch_takes_the_buttons_off_every_announcement(world: Database) -> None:
    db = world
    case = report(db)
    key = live.announcement_key(case.id)  # type: ignore[arg-type]
    sent = rows(db, template="case.new")
    assert {r.chat_id for r in sent} >= {OFFICER, DISPATCHER}
    assert all(r.live_key == key and r.kind == "send" for r in sent)
    deliver_all(db)
    recorded = db.call(
        lambda s: {
            m.chat_id for m in s.exec(select(LiveMessage).where(LiveMessage.live_key == key))
        }
    )
    assert recorded == {r.chat_id for r in sent}

    dispatch(db, case, "gov", by=OFFICER)
    officer_name = actor(db, OFFICER).user.display_name
    for chat in (OFFICER, DISPATCHER):
        (edit,) = edits(db, chat, key)
        lang = language_of(actor(db, chat).user, "zh")
        assert t(lang, "Dispatched by {name}.", name=officer_name) in edit.text
        assert t(lang, "New case reported") in edit.text
        assert edit.buttons is None


def test_an_announcement_still_on_its_way_is_edited_after_it(world: Database) -> None:
    db = world
    case = report(db)
    dispatch(db, case, "gov")
    key = live.announcement_key(case.id)  # type: ignore[arg-type]
    send, edit = rows(db, chat_id=DISPATCHER, live_key=key)
    assert (send.kind, edit.kind) == ("send", "edit") and send.id < edit.id  # type: ignore[operator]


def test_the_liaisons_card_follows_sign_for_and_complete(world: Database) -> None:
    db = world
    case = report(db)
    (order,) = dispatch(db, case, "gov")
    key = live.card_key(order.id)
    (card,) = rows(db, chat_id=GOV, template="assignment.issued")
    assert card.live_key == key
    deliver_all(db)
    lang = language_of(actor(db, GOV).user, "zh")

    db.call(
        assignments.acknowledge, actor=actor(db, GOV), assignment_id=order.id, rules=RULES.at(LATER)
    )
    (signed,) = edits(db, GOV, key)
    assert t(lang, "Status: {status}", status=t(lang, "signed for, in progress")) in signed.text
    assert t(lang, "Complete") in labels(signed)
    assert signed.buttons[0][0]["data"] == callbacks.assignment("done", order.id)  # type: ignore[index]

    db.call(
        assignments.complete,
        actor=actor(db, GOV),
        assignment_id=order.id,
        result="已代办",
        rules=RULES.at(LATER + timedelta(minutes=1)),
    )
    signed, done = edits(db, GOV, key)
    assert t(lang, "Status: {status}", status=t(lang, "completed")) in done.text
    assert done.buttons is None
    # Every department done: the announcement says the case waits for confirmation.
    dispatched, confirmable = edits(db, OFFICER, live.announcement_key(case.id))  # type: ignore[arg-type]
    waiting = t(lang, "completed, waiting for confirmation")
    assert waiting in confirmable.text and waiting not in dispatched.text
    assert confirmable.buttons is None


def test_a_head_who_opened_the_card_gets_no_liaison_buttons(world: Database) -> None:
    db = world
    case = report(db)
    (order,) = dispatch(db, case, "drc")
    head = 3101
    db.call(live.remember, live_key=live.card_key(order.id), chat_id=head, message_id=77)
    db.call(
        assignments.acknowledge, actor=actor(db, DRC), assignment_id=order.id, rules=RULES.at(LATER)
    )
    (edit,) = edits(db, head, live.card_key(order.id))
    assert edit.buttons is None
    (liaison,) = edits(db, DRC, live.card_key(order.id))
    assert liaison.buttons


def test_a_return_closes_the_card_and_gives_the_office_its_buttons_back(world: Database) -> None:
    db = world
    case = report(db)
    (order,) = dispatch(db, case, "gov")
    deliver_all(db)
    db.call(
        assignments.return_assignment,
        actor=actor(db, GOV),
        assignment_id=order.id,
        reason="不属于本部门",
        rules=RULES.at(LATER),
    )
    (card,) = edits(db, GOV, live.card_key(order.id))
    assert card.buttons is None
    back = edits(db, DISPATCHER, live.announcement_key(case.id))  # type: ignore[arg-type]
    assert back[-1].buttons and back[-1].buttons[0][0]["data"] == callbacks.case("dsp", case.id)  # type: ignore[arg-type]


def test_confirmation_and_reopening_edit_the_request_and_the_card(world: Database) -> None:
    db = world
    case = report(db)
    (order,) = dispatch(db, case, "gov")
    db.call(
        assignments.acknowledge, actor=actor(db, GOV), assignment_id=order.id, rules=RULES.at(LATER)
    )
    db.call(
        assignments.complete,
        actor=actor(db, GOV),
        assignment_id=order.id,
        result="已代办",
        rules=RULES.at(LATER),
    )
    (ask,) = rows(db, chat_id=CONTACT, template="case.confirm")
    assert ask.live_key == live.confirm_key(case.id)  # type: ignore[arg-type]
    deliver_all(db)
    before = len(edits(db, GOV, live.card_key(order.id)))
    db.call(
        confirmation.confirm,
        actor=actor(db, CONTACT),
        case_id=case.id,
        satisfaction=Satisfaction.UNSATISFIED,
        note="还没通电",
        rules=RULES.at(LATER + timedelta(hours=1)),
    )
    lang = language_of(actor(db, CONTACT).user, "zh")
    (reopened,) = edits(db, CONTACT, live.confirm_key(case.id))  # type: ignore[arg-type]
    assert t(lang, "Not satisfied: the case was reopened.") in reopened.text
    assert reopened.buttons is None
    card = edits(db, GOV, live.card_key(order.id))
    assert len(card) == before + 1 and t(lang, "Complete") in labels(card[-1])
    # The reopened notice is the liaison's card from now on.
    (notice,) = rows(db, chat_id=GOV, template="assignment.reopened")
    assert notice.live_key == live.card_key(order.id) and notice.id > card[-1].id  # type: ignore[operator]


def test_a_decline_and_a_question_show_on_the_announcement(world: Database) -> None:
    db = world
    case = report(db)
    key = live.announcement_key(case.id)  # type: ignore[arg-type]
    db.call(
        cases.ask_enterprise,
        actor=actor(db, DISPATCHER),
        case_id=case.id,
        question="哪个地块？",
        rules=RULES.at(LATER),
    )
    (asked,) = edits(db, OFFICER, key)
    lang = language_of(actor(db, OFFICER).user, "zh")
    assert t(lang, "waiting for the enterprise's answer") in asked.text
    assert asked.buttons  # dispatch, ask and decline still apply
    db.call(
        cases.decline_case,
        actor=actor(db, DISPATCHER),
        case_id=case.id,  # type: ignore[arg-type]
        reason="非本园区企业",
        rules=RULES.at(LATER + timedelta(minutes=1)),
    )
    asked, declined = edits(db, OFFICER, key)
    name = actor(db, DISPATCHER).user.display_name
    assert (
        t(lang, "Declined by {name}: {reason}", name=name, reason="非本园区企业") in declined.text
    )
    assert declined.buttons is None


def test_refreshing_an_unchanged_state_twice_queues_one_edit(world: Database) -> None:
    db = world
    case = report(db)
    (order,) = dispatch(db, case, "gov")

    def refresh(session: Session) -> int:
        found = session.get(Assignment, order.id)
        assert found is not None
        return live.refresh_assignment_card(session, found, rules=RULES.at(LATER))

    assert db.call(refresh) == 1
    assert db.call(refresh) == 0
    assert len(edits(db, GOV, live.card_key(order.id))) == 1


@pytest.mark.parametrize("key", ["asg:999:card"])
def test_nothing_shown_nothing_queued(world: Database, key: str) -> None:
    assert world.call(lambda s: live.showing(s, key)) == []
