"""A chat's messages go out in the order their transactions committed, not their ids' order."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot.db import Database
from models import OutboxMessage, User
from models.types import utcnow
from services import outbox
from tests.bot.test_outbox_worker import ALICE, Clock, FakeBot, make_worker


def _queue(session: Session, user: User, text: str) -> None:
    outbox.enqueue(session, user=user, template="test", text=text, dedupe_key=f"order:{text}")


async def test_a_chat_receives_its_messages_in_commit_order(db: Database) -> None:
    db.call(lambda s: s.add(User(telegram_id=ALICE, display_name="alice")))
    with Session(db.engine) as first, Session(db.engine) as second:
        me = first.exec(select(User).where(User.telegram_id == ALICE)).one()
        _queue(first, me, "the case was completed")
        if db.url.startswith("postgresql"):
            # PostgreSQL gives the id now; SQLite would lock the other writer out until commit.
            first.flush()
        _queue(second, second.exec(select(User).where(User.telegram_id == ALICE)).one(), "new case")
        second.commit()
        first.commit()
    ids = dict(db.call(lambda s: [(r.text, r.id) for r in s.exec(select(OutboxMessage))]))
    if db.url.startswith("postgresql"):
        assert ids["the case was completed"] < ids["new case"]  # the race: ids disagree
    bot = FakeBot()
    await make_worker(db, bot, Clock(utcnow() + timedelta(seconds=1))).deliver_due()
    assert bot.texts(ALICE) == ["new case", "the case was completed"]


async def test_the_rows_of_one_transaction_keep_their_queueing_order(db: Database) -> None:
    db.call(lambda s: s.add(User(telegram_id=ALICE, display_name="alice")))

    def queue_three(session: Session) -> None:
        me = session.exec(select(User).where(User.telegram_id == ALICE)).one()
        for text in ("one", "two", "three"):
            _queue(session, me, text)

    db.call(queue_three)
    bot = FakeBot()
    await make_worker(db, bot, Clock(utcnow() + timedelta(seconds=1))).deliver_due()
    assert bot.texts(ALICE) == ["one", "two", "three"]
