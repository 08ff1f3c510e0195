"""The outbox worker's edits: a live message is edited in place, a gone one is left alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlmodel import Session, select
from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, RetryAfter

from bot.db import Database
from models import LiveMessage, User
from models.enums import OutboxStatus
from services import outbox
from tests.bot import test_outbox_worker as base
from tests.bot.test_outbox_worker import (
    ALICE,
    BOB,
    Clock,
    FakeBot,
    make_worker,
    queue,
    row_of,
    rows,
)

users, clock = base.users, base.clock  # the worker tests' fixtures: two users, a stopped clock

KEY = "asg:7:card"
BUTTONS = [[{"text": "Complete", "data": "a:done:7"}]]


@dataclass
class Edited:
    chat_id: int
    message_id: int
    text: str
    reply_markup: InlineKeyboardMarkup | None


@dataclass
class EditingBot(FakeBot):
    """FakeBot that also edits; ``edit_failures`` raises like Telegram for chosen edits."""

    edits: list[Edited] = field(default_factory=list)
    edit_attempts: int = 0
    edit_failures: list[Exception] = field(default_factory=list)

    async def edit_message_text(
        self,
        text: str,
        *,
        chat_id: int,
        message_id: int,
        parse_mode: str | None = None,
        reply_markup: InlineKeyboardMarkup | None = None,
    ) -> SimpleNamespace:
        self.edit_attempts += 1
        if self.edit_failures:
            raise self.edit_failures.pop(0)
        self.edits.append(Edited(chat_id, message_id, text, reply_markup))
        return SimpleNamespace(message_id=message_id)


def edit(db: Database, user: User, text: str, *, key: str = KEY, **extra: Any) -> None:
    queue(db, user, text, key=f"edit:{text}", kind="edit", live_key=key, **extra)


def live(session: Session) -> dict[tuple[str, int], int]:
    session.rollback()
    return {(m.live_key, m.chat_id): m.message_id for m in session.exec(select(LiveMessage))}


async def test_a_live_send_is_recorded_and_a_later_edit_changes_it(
    db: Database, session: Session, users: dict[int, User], clock: Clock
) -> None:
    bot = EditingBot()
    worker = make_worker(db, bot, clock)
    queue(db, users[ALICE], "chatter")
    queue(db, users[ALICE], "card: issued", live_key=KEY, buttons=BUTTONS)
    await worker.deliver_due()
    edit(db, users[ALICE], "card: signed for", buttons=BUTTONS)
    await worker.deliver_due()
    edit(db, users[ALICE], "card: completed")
    await worker.deliver_due()
    assert bot.texts(ALICE) == ["chatter", "card: issued"]  # no new message for the edits
    card_id = row_of(session, "card: issued").telegram_message_id
    assert live(session) == {(KEY, ALICE): card_id}
    assert [(e.message_id, e.text) for e in bot.edits] == [
        (card_id, "card: signed for"),
        (card_id, "card: completed"),
    ]
    assert bot.edits[0].reply_markup is not None and bot.edits[1].reply_markup is None
    for text in ("card: signed for", "card: completed"):
        row = row_of(session, text)
        assert (row.status, row.last_error) == (OutboxStatus.SENT, None)


async def test_a_card_sent_again_moves_the_record_to_the_new_message(
    db: Database, session: Session, users: dict[int, User], clock: Clock
) -> None:
    bot = EditingBot()
    worker = make_worker(db, bot, clock)
    queue(db, users[BOB], "card", live_key=KEY)
    queue(db, users[BOB], "reopened card", live_key=KEY)
    await worker.deliver_due()
    edit(db, users[BOB], "card: completed again")
    await worker.deliver_due()
    newest = row_of(session, "reopened card").telegram_message_id
    assert live(session) == {(KEY, BOB): newest}
    assert [e.message_id for e in bot.edits] == [newest]


async def test_a_gone_or_too_old_message_settles_the_edit_without_retrying(
    db: Database, session: Session, users: dict[int, User], clock: Clock
) -> None:
    bot = EditingBot(
        edit_failures=[
            BadRequest("Message to edit not found"),
            BadRequest("Message can't be edited"),
            BadRequest(
                "Message is not modified: specified new message content and reply markup "
                "are exactly the same as a current content and reply markup of the message"
            ),
        ]
    )
    db.call(outbox.remember, live_key=KEY, chat_id=ALICE, message_id=42)
    worker = make_worker(db, bot, clock)
    for text in ("gone", "too old", "same"):  # one at a time: a later edit would replace it
        edit(db, users[ALICE], f"card: {text}")
        assert await worker.deliver_due() == 1
    queue(db, users[ALICE], "after the edits")
    assert await worker.deliver_due() == 1
    clock.advance(hours=2)
    assert await worker.deliver_due() == 0  # nothing left to retry
    assert bot.edit_attempts == 3 and bot.edits == []
    assert bot.texts(ALICE) == ["after the edits"]  # and no fallback new message
    for text, said in (("gone", "not found"), ("too old", "can't be edited"), ("same", "modified")):
        row = row_of(session, f"card: {text}")
        assert row.status == OutboxStatus.SENT and row.attempts == 1
        assert row.last_error and said in row.last_error


async def test_an_edit_with_nothing_recorded_is_settled_without_a_call(
    db: Database, session: Session, users: dict[int, User], clock: Clock
) -> None:
    bot = EditingBot()
    edit(db, users[ALICE], "card: nowhere", key="asg:8:card")
    await make_worker(db, bot, clock).deliver_due()
    row = row_of(session, "card: nowhere")
    assert row.status == OutboxStatus.SENT and "nothing to edit" in (row.last_error or "")
    assert bot.edit_attempts == 0 and bot.sent == []


async def test_a_flood_limit_on_an_edit_is_waited_out_then_applied(
    db: Database, session: Session, users: dict[int, User], clock: Clock
) -> None:
    bot = EditingBot(edit_failures=[RetryAfter(5)])
    db.call(outbox.remember, live_key=KEY, chat_id=ALICE, message_id=42)
    edit(db, users[ALICE], "card: signed for")
    worker = make_worker(db, bot, clock)
    await worker.deliver_due()
    assert row_of(session, "card: signed for").status == OutboxStatus.PENDING
    clock.advance(seconds=6)
    await worker.deliver_due()
    assert [(e.message_id, e.text) for e in bot.edits] == [(42, "card: signed for")]


async def test_a_backlog_shows_a_card_in_its_latest_state_without_the_edits_in_between(
    db: Database, session: Session, users: dict[int, User], clock: Clock
) -> None:
    # A chat that owes a lot (a dispatch desk after a restart) gets each card once, as it
    # stands now: the edits queued behind it take none of the chat's paced turns.
    bot = EditingBot()
    queue(db, users[ALICE], "card: issued", live_key=KEY, buttons=BUTTONS)
    edit(db, users[ALICE], "card: signed for", buttons=BUTTONS)
    queue(db, users[ALICE], "chatter")
    edit(db, users[ALICE], "card: completed")
    await make_worker(db, bot, clock).deliver_due()
    assert bot.texts(ALICE) == ["card: completed", "chatter"]
    assert bot.edit_attempts == 0
    card = row_of(session, "card: issued")
    assert live(session) == {(KEY, ALICE): card.telegram_message_id}
    assert row_of(session, "card: completed").last_error is None  # what the card shows
    assert "superseded" in (row_of(session, "card: signed for").last_error or "")
    assert {r.status for r in rows(session).values()} == {OutboxStatus.SENT}


async def test_of_two_edits_waiting_only_the_latest_is_applied(
    db: Database, session: Session, users: dict[int, User], clock: Clock
) -> None:
    bot = EditingBot()
    db.call(outbox.remember, live_key=KEY, chat_id=ALICE, message_id=42)
    edit(db, users[ALICE], "card: signed for")
    edit(db, users[ALICE], "card: completed")
    await make_worker(db, bot, clock).deliver_due()
    assert [(e.message_id, e.text) for e in bot.edits] == [(42, "card: completed")]
    assert "superseded" in (row_of(session, "card: signed for").last_error or "")
