"""A chat's messages go out in the order their transactions committed, not their ids' order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.db import Database, upgrade
from models import OutboxMessage, User
from models.types import utcnow
from services import outbox
from tests.bot.test_outbox_worker import ALICE, Clock, FakeBot, make_worker


def _queue(session: Session, user: User, text: str) -> None:
    outbox.enqueue(session, user=user, template="test", text=text, dedupe_key=f"order:{text}")


async def _deliver(db: Database) -> FakeBot:
    """Deliver everything due a second from now; the bot that recorded it."""
    bot = FakeBot()
    await make_worker(db, bot, Clock(utcnow() + timedelta(seconds=1))).deliver_due()
    return bot


@pytest.mark.postgres
async def test_a_chat_receives_its_messages_in_commit_order(pg_url: str) -> None:
    """PostgreSQL lets two transactions queue at once; the one that commits first goes first.

    (SQLite cannot interleave them: a transaction writes its rows as it queues them and holds
    the file's one write lock until it commits, so ids already follow commit order there.)
    """
    upgrade(pg_url)
    db = Database(pg_url)
    try:
        db.call(lambda s: s.add(User(telegram_id=ALICE, display_name="alice")))
        with Session(db.engine) as first, Session(db.engine) as second:
            me = first.exec(select(User).where(User.telegram_id == ALICE)).one()
            _queue(first, me, "the case was completed")
            you = second.exec(select(User).where(User.telegram_id == ALICE)).one()
            _queue(second, you, "new case")
            second.commit()
            first.commit()
        ids = dict(db.call(lambda s: [(r.text, r.id) for r in s.exec(select(OutboxMessage))]))
        assert ids["the case was completed"] < ids["new case"]  # the race: ids disagree
        bot = await _deliver(db)
        assert bot.texts(ALICE) == ["new case", "the case was completed"]
    finally:
        db.dispose()


async def test_the_rows_of_one_transaction_keep_their_queueing_order(db: Database) -> None:
    db.call(lambda s: s.add(User(telegram_id=ALICE, display_name="alice")))

    def queue_three(session: Session) -> None:
        me = session.exec(select(User).where(User.telegram_id == ALICE)).one()
        for text in ("one", "two", "three"):
            _queue(session, me, text)

    db.call(queue_three)
    bot = await _deliver(db)
    assert bot.texts(ALICE) == ["one", "two", "three"]


async def test_a_row_queued_in_a_rolled_back_savepoint_is_queued_again_once(db: Database) -> None:
    """The sweep works in savepoints: what one rolled back is owed again, once, in its place."""
    db.call(lambda s: s.add(User(telegram_id=ALICE, display_name="alice")))

    def queue(session: Session) -> list[int | None]:
        me = session.exec(select(User).where(User.telegram_id == ALICE)).one()
        _queue(session, me, "first")
        savepoint = session.begin_nested()
        _queue(session, me, "second")
        savepoint.rollback()
        again = outbox.enqueue(
            session, user=me, template="test", text="second", dedupe_key="order:second"
        )
        twice = outbox.enqueue(
            session, user=me, template="test", text="second", dedupe_key="order:second"
        )
        _queue(session, me, "third")
        return [again, twice]

    again, twice = db.call(queue)
    assert again is not None and twice is None
    rows = db.call(lambda s: s.exec(select(OutboxMessage).order_by(OutboxMessage.seq)).all())
    assert [(r.text, r.seq is not None) for r in rows] == [
        ("first", True),
        ("second", True),
        ("third", True),
    ]
    bot = await _deliver(db)
    assert bot.texts(ALICE) == ["first", "second", "third"]


async def test_a_rolled_back_transactions_rows_take_no_place_in_the_next(db: Database) -> None:
    """A session that rolled back and queued anew gives positions to the new rows only."""
    db.call(lambda s: s.add(User(telegram_id=ALICE, display_name="alice")))
    with Session(db.engine) as session:
        me = session.exec(select(User).where(User.telegram_id == ALICE)).one()
        _queue(session, me, "never sent")
        session.rollback()
        me = session.exec(select(User).where(User.telegram_id == ALICE)).one()
        _queue(session, me, "sent")
        session.commit()
    rows = db.call(lambda s: s.exec(select(OutboxMessage)).all())
    assert [(r.text, r.seq) for r in rows] == [("sent", 1)]
    bot = await _deliver(db)
    assert bot.texts(ALICE) == ["sent"]


@pytest.mark.postgres
@pytest.mark.timeout(60)
def test_a_row_claimed_by_one_process_is_skipped_not_waited_for_or_taken_by_another(
    pg_migrated_url: str,
) -> None:
    """Two webhook instances claim at once: the second gets none of the first's rows.

    Without the claim's row lock (FOR UPDATE SKIP LOCKED), PostgreSQL makes the second claim
    wait for the first transaction and then lease the same row again: sent twice.
    """
    db = Database(pg_migrated_url)
    try:
        db.call(lambda s: s.add(User(telegram_id=ALICE, display_name="alice")))
        db.call(lambda s: _queue(s, s.exec(select(User)).one(), "only once"))
        now, lease = utcnow() + timedelta(seconds=1), timedelta(minutes=1)
        with Session(db.engine) as first, Session(db.engine) as second:
            mine = outbox.claim(first, owner="first", now=now, limit=10, lease=lease)
            assert [r.text for r in mine] == ["only once"]
            # The first transaction is still open; the second claim must not wait for it.
            second.connection().exec_driver_sql("SET lock_timeout = '3s'")
            theirs = outbox.claim(second, owner="second", now=now, limit=10, lease=lease)
            assert theirs == []
            second.commit()
            first.commit()
        (row,) = db.call(lambda s: list(s.exec(select(OutboxMessage)).all()))
        assert row.lease_owner == "first"
    finally:
        db.dispose()
