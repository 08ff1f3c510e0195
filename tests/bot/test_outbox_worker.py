"""The outbox worker: in order per chat, within Telegram's limits, never losing a message."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlmodel import Session, select
from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.db import Database
from bot.outbox import LEASE, OutboxWorker
from bot.pacing import Pacer
from models import OutboxMessage, RoleGrant, User
from models.enums import OutboxStatus, Role
from models.types import utcnow
from services import outbox
from services.users import ensure_user
from tests.rules import RULES

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ALICE, BOB, DESK = 1001, 1002, 1003


@dataclass
class Sent:
    method: str
    chat_id: int
    content: str
    parse_mode: str | None = None
    reply_markup: InlineKeyboardMarkup | None = None
    caption: str | None = None


@dataclass
class FakeBot:
    """Records what the worker sends; ``failures`` decides which calls raise instead."""

    sent: list[Sent] = field(default_factory=list)
    attempts: list[Sent] = field(default_factory=list)
    # Called with each attempt; returns an exception to raise, or None to deliver.
    failures: Callable[[Sent], Exception | None] = lambda call: None

    def _deliver(self, call: Sent) -> SimpleNamespace:
        self.attempts.append(call)
        error = self.failures(call)
        if error is not None:
            raise error
        self.sent.append(call)
        return SimpleNamespace(message_id=len(self.sent))

    async def send_message(
        self,
        chat_id: int,
        text: str,
        parse_mode: str | None = None,
        reply_markup: InlineKeyboardMarkup | None = None,
    ) -> SimpleNamespace:
        return self._deliver(Sent("message", chat_id, text, parse_mode, reply_markup))

    async def send_photo(
        self, chat_id: int, photo: str, caption: str | None = None
    ) -> SimpleNamespace:
        return self._deliver(Sent("photo", chat_id, photo, caption=caption))

    async def send_document(
        self, chat_id: int, document: str, caption: str | None = None
    ) -> SimpleNamespace:
        return self._deliver(Sent("document", chat_id, document, caption=caption))

    def texts(self, chat_id: int) -> list[str]:
        return [s.content for s in self.sent if s.chat_id == chat_id and s.method == "message"]


class Clock:
    """The worker's notion of now, moved by the test."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def users(db: Database) -> dict[int, User]:
    def add(session: Session) -> dict[int, User]:
        people = {tid: User(telegram_id=tid, display_name=f"user {tid}") for tid in (ALICE, BOB)}
        session.add_all(people.values())
        session.flush()
        return people

    return db.call(add)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def bot() -> FakeBot:
    return FakeBot()


def make_worker(db: Database, bot: FakeBot, clock: Clock, **options: Any) -> OutboxWorker:
    # Pacing has its own tests (tests/bot/test_pacing.py); here it must not slow anything down.
    options.setdefault("pacer", Pacer(rate=1e9, burst=1e9, chat_rate=1e9, chat_burst=1e9))
    options.setdefault("rules", RULES)
    return OutboxWorker(db=db, bot=bot, clock=clock, **options)  # type: ignore[arg-type]


def queue(
    db: Database,
    user: User,
    text: str,
    *,
    key: str | None = None,
    not_before: datetime = NOW,
    **extra: Any,
) -> OutboxMessage | None:
    return db.call(
        outbox.enqueue,
        user=user,
        template="test",
        text=text,
        dedupe_key=key or f"test:{user.telegram_id}:{text[:40]}",
        not_before=not_before,
        **extra,
    )


def rows(session: Session) -> dict[str, OutboxMessage]:
    """Every outbox row by its dedupe key, freshly read."""
    session.rollback()
    return {r.dedupe_key: r for r in session.exec(select(OutboxMessage))}


def row_of(session: Session, text: str) -> OutboxMessage:
    session.rollback()
    return session.exec(select(OutboxMessage).where(OutboxMessage.text == text)).one()


# -- ordinary delivery --------------------------------------------------------------------------


async def test_rows_are_sent_in_order_per_chat(
    db: Database, session: Session, users: dict[int, User], bot: FakeBot, clock: Clock
) -> None:
    for i in range(4):
        queue(db, users[ALICE], f"alice {i}")
        queue(db, users[BOB], f"bob {i}")
    worker = make_worker(db, bot, clock)
    assert await worker.deliver_due() == 8
    assert bot.texts(ALICE) == [f"alice {i}" for i in range(4)]
    assert bot.texts(BOB) == [f"bob {i}" for i in range(4)]
    assert all(s.parse_mode == "HTML" for s in bot.sent)
    for row in rows(session).values():
        assert (row.status, row.attempts, row.sent_at) == (OutboxStatus.SENT, 1, NOW)
        assert row.telegram_message_id is not None
    assert await worker.deliver_due() == 0  # nothing is sent twice
    assert len(bot.sent) == 8


async def test_a_row_waits_for_its_time(
    db: Database, session: Session, users: dict[int, User], bot: FakeBot, clock: Clock
) -> None:
    queue(db, users[ALICE], "later", not_before=NOW + timedelta(minutes=5))
    worker = make_worker(db, bot, clock)
    assert await worker.deliver_due() == 0
    clock.advance(minutes=5)
    assert await worker.deliver_due() == 1
    assert bot.texts(ALICE) == ["later"]


async def test_same_dedupe_key_queues_one_message(
    db: Database, session: Session, users: dict[int, User], bot: FakeBot, clock: Clock
) -> None:
    first = queue(db, users[ALICE], "reminder: 交办单 2026-0001 due in 4h", key="remind:1:4h")
    second = queue(db, users[ALICE], "reminder: 交办单 2026-0001 due in 4h", key="remind:1:4h")
    assert first is not None
    assert second is None
    assert list(rows(session)) == ["remind:1:4h"]
    await make_worker(db, bot, clock).deliver_due()
    assert len(bot.sent) == 1
    # Once sent, the same key still queues nothing: a re-run sweep cannot remind twice.
    assert queue(db, users[ALICE], "again", key="remind:1:4h") is None
    assert len(rows(session)) == 1


# -- Telegram's refusals ---------------------------------------------------------------------------


async def test_retry_after_postpones_the_chat_keeping_order(
    db: Database, session: Session, users: dict[int, User], bot: FakeBot, clock: Clock
) -> None:
    for i in range(4):
        queue(db, users[ALICE], f"alice {i}")
    queue(db, users[BOB], "bob 0")
    flooded = {"left": 1}

    def flood_once(call: Sent) -> Exception | None:
        if call.chat_id == ALICE and flooded["left"]:
            flooded["left"] -= 1
            return RetryAfter(30)
        return None

    bot.failures = flood_once
    # batch_size 3: "alice 3" is not even claimed, yet must wait behind "alice 0" as well.
    worker = make_worker(db, bot, clock, batch_size=3)
    await worker.deliver_due()
    assert bot.texts(ALICE) == []
    first = row_of(session, "alice 0")
    assert (first.status, first.attempts) == (OutboxStatus.PENDING, 0)  # not an attempt
    assert "retry after 30" in (first.last_error or "")
    for i in range(4):
        assert row_of(session, f"alice {i}").next_attempt_at == NOW + timedelta(seconds=30)
    await worker.deliver_due()  # Bob's message goes out meanwhile
    assert bot.texts(BOB) == ["bob 0"]

    clock.advance(seconds=29)
    assert await worker.deliver_due() == 0
    clock.advance(seconds=1)
    while await worker.deliver_due():
        pass
    assert bot.texts(ALICE) == ["alice 0", "alice 1", "alice 2", "alice 3"]
    assert row_of(session, "alice 0").attempts == 1


async def test_a_row_queued_while_an_earlier_one_waits_to_retry_does_not_overtake_it(
    db: Database, session: Session, users: dict[int, User], bot: FakeBot, clock: Clock
) -> None:
    queue(db, users[ALICE], "first")
    failed = {"left": 1}

    def drop_once(call: Sent) -> Exception | None:
        if failed["left"]:
            failed["left"] -= 1
            return NetworkError("connection reset")
        return None

    bot.failures = drop_once
    worker = make_worker(db, bot, clock)
    await worker.deliver_due()
    queue(db, users[ALICE], "second")  # due at once, while "first" waits for its retry
    assert await worker.deliver_due() == 0
    assert bot.sent == []
    clock.advance(seconds=2)
    while await worker.deliver_due():
        pass
    assert bot.texts(ALICE) == ["first", "second"]


async def test_network_errors_back_off_exponentially_and_never_give_up(
    db: Database, session: Session, users: dict[int, User], bot: FakeBot, clock: Clock
) -> None:
    queue(db, users[ALICE], "unlucky")
    failing = True
    bot.failures = lambda call: (
        NetworkError("connection reset") if failing and call.chat_id == ALICE else None
    )
    worker = make_worker(db, bot, clock, max_attempts=5)
    waits = []
    for attempt in range(1, 12):
        before = len(bot.attempts)
        await worker.deliver_due()
        assert len(bot.attempts) == before + 1
        row = row_of(session, "unlucky")
        assert (row.status, row.attempts) == (OutboxStatus.PENDING, attempt)
        waits.append(row.next_attempt_at - clock.now)
        # Not a moment before its time.
        clock.now = row.next_attempt_at - timedelta(seconds=1)
        assert await worker.deliver_due() == 0
        clock.now = row.next_attempt_at
    assert waits == [timedelta(seconds=min(2**a, 300)) for a in range(1, 12)]
    assert row_of(session, "unlucky").last_error == "connection reset"
    failing = False  # Telegram is back: the message goes out, however long it took
    await worker.deliver_due()
    assert bot.texts(ALICE) == ["unlucky"]
    assert row_of(session, "unlucky").status == OutboxStatus.SENT


async def test_a_timeout_is_retried_and_then_delivered(
    db: Database, session: Session, users: dict[int, User], bot: FakeBot, clock: Clock
) -> None:
    queue(db, users[ALICE], "first")
    queue(db, users[ALICE], "second")
    failed = {"left": 1}

    def time_out_once(call: Sent) -> Exception | None:
        if failed["left"]:
            failed["left"] -= 1
            return TimedOut()
        return None

    bot.failures = time_out_once
    worker = make_worker(db, bot, clock)
    await worker.deliver_due()
    assert bot.sent == []  # "second" did not overtake "first"
    clock.advance(seconds=2)
    await worker.deliver_due()
    assert bot.texts(ALICE) == ["first", "second"]


async def test_forbidden_fails_at_once(
    db: Database, session: Session, users: dict[int, User], bot: FakeBot, clock: Clock
) -> None:
    queue(db, users[ALICE], "to a blocked chat")
    queue(db, users[BOB], "to a fine chat")
    bot.failures = lambda call: (
        Forbidden("Forbidden: bot was blocked by the user") if call.chat_id == ALICE else None
    )
    await make_worker(db, bot, clock, max_attempts=8).deliver_due()
    blocked = row_of(session, "to a blocked chat")
    assert (blocked.status, blocked.attempts) == (OutboxStatus.FAILED, 1)
    assert "blocked" in (blocked.last_error or "")
    assert row_of(session, "to a fine chat").status == OutboxStatus.SENT
    assert bot.texts(BOB) == ["to a fine chat"]


async def test_a_user_who_blocked_the_bot_is_marked_and_dispatchers_told_once(
    db: Database, session: Session, users: dict[int, User], bot: FakeBot, clock: Clock
) -> None:
    def dispatcher(session: Session) -> User:
        desk = User(telegram_id=DESK, display_name="desk", language="en")
        session.add(desk)
        session.flush()
        session.add(RoleGrant(user_id=desk.id, role=Role.DISPATCHER))
        return desk

    db.call(dispatcher)
    queue(db, users[ALICE], "first to a blocked chat")
    queue(db, users[ALICE], "second to a blocked chat")
    bot.failures = lambda call: (
        Forbidden("Forbidden: bot was blocked by the user") if call.chat_id == ALICE else None
    )
    worker = make_worker(db, bot, clock)
    while await worker.deliver_due():
        pass
    for text in ("first to a blocked chat", "second to a blocked chat"):
        row = row_of(session, text)
        assert (row.status, row.last_error) == (
            OutboxStatus.FAILED,
            "Forbidden: bot was blocked by the user",
        )
    clock.now = utcnow()  # the dispatchers' message was queued on the real clock
    while await worker.deliver_due():
        pass
    told = bot.texts(DESK)
    assert len(told) == 1
    assert "user 1001" in told[0] and "blocked the bot" in told[0]
    session.expire_all()
    assert session.get(User, users[ALICE].id).blocked_at == NOW  # type: ignore[union-attr]
    # Writing to the bot again lifts the mark; a later block is told again.
    db.call(ensure_user, telegram_id=ALICE, display_name="user 1001")
    session.expire_all()
    assert session.get(User, users[ALICE].id).blocked_at is None  # type: ignore[union-attr]


async def test_bad_markup_is_resent_as_plain_text(
    db: Database, session: Session, users: dict[int, User], bot: FakeBot, clock: Clock
) -> None:
    queue(db, users[ALICE], "<b>交办单</b> &amp; <unknown>县环保局</unknown>")
    bot.failures = lambda call: (
        BadRequest('Can\'t parse entities: unsupported start tag "unknown" at byte offset 40')
        if call.parse_mode == "HTML"
        else None
    )
    await make_worker(db, bot, clock).deliver_due()
    assert [(s.content, s.parse_mode) for s in bot.sent] == [("交办单 & 县环保局", None)]
    row = row_of(session, "<b>交办单</b> &amp; <unknown>县环保局</unknown>")
    assert row.status == OutboxStatus.SENT


async def test_other_bad_requests_are_not_sent_as_plain_text(
    db: Database, session: Session, users: dict[int, User], bot: FakeBot, clock: Clock
) -> None:
    queue(db, users[ALICE], "<b>hello</b>")
    bot.failures = lambda call: BadRequest("Chat not found")
    await make_worker(db, bot, clock, max_attempts=1).deliver_due()
    assert all(call.parse_mode == "HTML" for call in bot.attempts)
    row = row_of(session, "<b>hello</b>")
    assert (row.status, row.last_error) == (OutboxStatus.FAILED, "Chat not found")


# -- long texts, keyboards, attachments ---------------------------------------------------------


async def test_a_long_text_is_split_with_the_keyboard_on_the_last_piece(
    db: Database, session: Session, users: dict[int, User], bot: FakeBot, clock: Clock
) -> None:
    text = "<b>" + "园区企业反映：二期电力增容需县级审批。" * 500 + "</b>"  # 10,002 characters
    buttons = [[{"text": "签收", "data": "ack:1"}, {"text": "退回", "data": "ret:1"}]]
    queue(db, users[ALICE], text, key="long", buttons=buttons)
    await make_worker(db, bot, clock).deliver_due()
    assert len(bot.sent) == 3
    assert all(len(s.content) <= 4096 for s in bot.sent)
    assert [s.reply_markup is None for s in bot.sent] == [True, True, False]
    markup = bot.sent[-1].reply_markup
    assert markup is not None
    assert [(b.text, b.callback_data) for b in markup.inline_keyboard[0]] == [
        ("签收", "ack:1"),
        ("退回", "ret:1"),
    ]
    row = rows(session)["long"]
    assert row.status == OutboxStatus.SENT
    assert row.telegram_message_id == 1  # the first piece's id


async def test_a_retry_resumes_a_long_message_where_it_stopped(
    db: Database, session: Session, users: dict[int, User], bot: FakeBot, clock: Clock
) -> None:
    text = "<b>" + "园区企业反映：二期电力增容需县级审批。" * 500 + "</b>"  # three pieces
    attachments = [{"kind": "photo", "file_id": "photo-1", "caption": ""}]
    queue(db, users[ALICE], text, key="long", attachments=attachments)
    calls = iter([None, NetworkError("reset"), None, None, None])
    bot.failures = lambda call: next(calls)
    worker = make_worker(db, bot, clock)
    await worker.deliver_due()  # piece 1 delivered, piece 2 fails
    row = rows(session)["long"]
    assert (row.status, row.parts_sent) == (OutboxStatus.PENDING, 1)
    clock.now = row.next_attempt_at
    await worker.deliver_due()
    # The reader sees each piece once, in order, then the photo.
    assert [s.method for s in bot.sent] == ["message", "message", "message", "photo"]
    assert len(set(bot.texts(ALICE))) == 3
    row = rows(session)["long"]
    assert (row.status, row.parts_sent, row.telegram_message_id) == (OutboxStatus.SENT, 4, 1)


async def test_attachments_follow_the_text(
    db: Database, session: Session, users: dict[int, User], bot: FakeBot, clock: Clock
) -> None:
    attachments = [
        {"kind": "photo", "file_id": "photo-1", "caption": "现场照片"},
        {"kind": "document", "file_id": "doc-1", "caption": "字" * 2000},
    ]
    queue(db, users[ALICE], "交办单 2026-0001", attachments=attachments)
    await make_worker(db, bot, clock).deliver_due()
    assert [(s.method, s.content) for s in bot.sent] == [
        ("message", "交办单 2026-0001"),
        ("photo", "photo-1"),
        ("document", "doc-1"),
    ]
    assert bot.sent[1].caption == "现场照片"
    assert bot.sent[2].caption is not None
    assert len(bot.sent[2].caption) == 1024


# -- crashes and the running loop --------------------------------------------------------------


async def test_a_row_leased_by_a_crashed_worker_is_sent_after_the_lease(
    db: Database, session: Session, users: dict[int, User], bot: FakeBot, clock: Clock
) -> None:
    queue(db, users[ALICE], "orphan")
    crashed = make_worker(db, FakeBot(), clock)
    claimed = db.call(crashed._claim, NOW, 10, set())  # claimed the row, then died
    assert [r.text for r in claimed] == ["orphan"]
    survivor = make_worker(db, bot, clock)  # knows nothing of who is alive: waits the lease
    clock.advance(seconds=LEASE.total_seconds() - 1)
    assert await survivor.deliver_due() == 0  # still leased: not sent twice
    clock.advance(seconds=1)
    assert await survivor.deliver_due() == 1
    assert bot.texts(ALICE) == ["orphan"]
    assert row_of(session, "orphan").status == OutboxStatus.SENT


class Crash(BaseException):
    """The process dies (kill -9): nothing after this runs."""


async def _run_until_crash(worker: OutboxWorker) -> None:
    with pytest.raises(Crash):
        await worker.deliver_due()
    await asyncio.sleep(0.2)  # the other chats' lanes run into the crash too


async def test_a_crash_repeats_at_most_the_message_in_flight_and_keeps_order(
    db: Database, session: Session, users: dict[int, User], clock: Clock
) -> None:
    for i in range(5):
        queue(db, users[ALICE], f"alice {i}")
        queue(db, users[BOB], f"bob {i}")
    dying = FakeBot()
    dead = {"now": False}

    def die_after_alice_2(call: Sent) -> Exception | None:
        if dead["now"]:
            raise Crash  # the process is gone: no call gets anywhere
        return None

    async def send_then_die(chat_id: int, text: str, **kwargs: Any) -> SimpleNamespace:
        result = dying._deliver(Sent("message", chat_id, text, kwargs.get("parse_mode")))
        if text == "alice 2":
            dead["now"] = True
            raise Crash  # Telegram has it; the process dies before recording it
        return result

    dying.failures = die_after_alice_2
    dying.send_message = send_then_die  # type: ignore[method-assign]
    crashed = make_worker(db, dying, clock, owner="dead-process")
    await _run_until_crash(crashed)
    assert "alice 2" in dying.texts(ALICE)

    # The restarted process learns that "dead-process" is gone and takes its rows over at
    # once: nothing waits for the lease to run out (the clock does not move).
    bot = FakeBot()
    survivor = make_worker(db, bot, clock, owner="new-process", live_owners=lambda s: set())
    assert await survivor.take_over() >= 1
    while await survivor.deliver_due():
        pass
    for chat, name in ((ALICE, "alice"), (BOB, "bob")):
        seen = dying.texts(chat) + bot.texts(chat)
        assert sorted(set(seen)) == [f"{name} {i}" for i in range(5)]  # nothing lost
        assert seen == sorted(seen)  # per-chat order, across the crash
    repeated = len(dying.texts(ALICE) + bot.texts(ALICE)) - 5
    repeated += len(dying.texts(BOB) + bot.texts(BOB)) - 5
    assert repeated == 1  # only "alice 2", which was in flight
    assert {r.status for r in rows(session).values()} == {OutboxStatus.SENT}


async def test_a_live_owners_rows_are_left_alone(
    db: Database, session: Session, users: dict[int, User], bot: FakeBot, clock: Clock
) -> None:
    queue(db, users[ALICE], "first")
    queue(db, users[ALICE], "second")
    other = make_worker(db, FakeBot(), clock, owner="other-process")
    assert [r.text for r in db.call(other._claim, NOW, 10, set())] == ["first"]
    worker = make_worker(db, bot, clock, owner="me", live_owners=lambda s: {"other-process"})
    assert await worker.take_over() == 0
    # "second" must not overtake "first", which the other process is sending.
    assert await worker.deliver_due() == 0
    assert bot.sent == []


async def test_two_workers_at_once_send_every_row_once_in_order(
    db_url: str, db: Database, session: Session, users: dict[int, User]
) -> None:
    def add_people(s: Session) -> list[User]:
        people = [User(telegram_id=5000 + i, display_name=f"p{i}") for i in range(8)]
        s.add_all(people)
        s.flush()
        return people

    people = db.call(add_people)
    for n in range(6):
        for person in people:
            queue(db, person, f"{person.telegram_id}:{n}", not_before=utcnow())
    bot = SlowBot()
    second_db = Database(db_url)  # another process's engine and connections
    try:
        workers = [
            OutboxWorker(db=db, bot=bot, batch_size=3, owner="a"),  # type: ignore[arg-type]
            OutboxWorker(db=second_db, bot=bot, batch_size=3, owner="b"),  # type: ignore[arg-type]
        ]

        async def drain(worker: OutboxWorker) -> None:
            idle = 0
            while idle < 3:
                idle = 0 if await worker.deliver_due() else idle + 1
                await asyncio.sleep(0.01)

        async with asyncio.timeout(60):
            await asyncio.gather(*(drain(w) for w in workers))
    finally:
        second_db.dispose()
    assert sorted(bot.texts_all()) == sorted(
        f"{p.telegram_id}:{n}" for p in people for n in range(6)
    )  # every row once
    for person in people:
        assert bot.texts(person.telegram_id) == [f"{person.telegram_id}:{n}" for n in range(6)]
    assert {w.sent > 0 for w in workers} == {True}  # both really worked


class SlowBot(FakeBot):
    """Takes a little while per message, so the two workers overlap."""

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> SimpleNamespace:
        await asyncio.sleep(0.005)
        return self._deliver(Sent("message", chat_id, text))

    def texts_all(self) -> list[str]:
        return [s.content for s in self.sent]


async def test_the_running_worker_sends_when_kicked(
    db: Database, session: Session, users: dict[int, User], bot: FakeBot, clock: Clock
) -> None:
    # A long idle poll: only kick() can explain a prompt delivery.
    worker = make_worker(db, bot, clock, idle_poll=600)
    idle, delivered = asyncio.Event(), asyncio.Event()
    fill, lane = worker._fill, worker._lane

    async def observed_fill() -> None:
        await fill()
        idle.set()

    async def observed_lane(row: OutboxMessage | None) -> int:
        count = await lane(row)
        delivered.set()
        return count

    worker._fill = observed_fill  # type: ignore[method-assign]
    worker._lane = observed_lane  # type: ignore[method-assign]
    await worker.start()
    try:
        async with asyncio.timeout(10):
            await idle.wait()  # the first round found nothing; now the worker sleeps
            queue(db, users[ALICE], "right away")
            worker.kick()
            await delivered.wait()
    finally:
        await worker.stop()
    assert bot.texts(ALICE) == ["right away"]
    assert worker.sent == 1
    assert row_of(session, "right away").status == OutboxStatus.SENT


# -- answers first ------------------------------------------------------------------------------


class AnsweringBot(FakeBot):
    """A bot whose first message arrives just as someone's update is being handled."""

    def __init__(self, handlers: Database) -> None:
        super().__init__()
        self.handlers, self.answering, self.answered = handlers, False, asyncio.Event()
        self.update: asyncio.Task[None] | None = None

    async def _handle_update(self) -> None:
        async with self.handlers.busy():
            self.answering = True
            await self.answered.wait()
            self.answering = False

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> SimpleNamespace:
        if self.update is None:
            self.update = asyncio.create_task(self._handle_update())
            await asyncio.sleep(0)  # the update's handler is under way when this call returns
        return await super().send_message(chat_id, text, **kwargs)


async def test_while_an_update_is_handled_the_outbox_only_records_what_it_sent(
    db: Database, session: Session, users: dict[int, User], clock: Clock
) -> None:
    # The outbox's database work runs on its own thread, but in the same interpreter and on
    # the same SQLite file: a unit of it started while an answer is being prepared slows that
    # answer down. It records the call it made (a crash must not send it twice) and waits.
    handlers = Database(db.url)
    bot = AnsweringBot(handlers)
    units: list[tuple[str, bool]] = []
    run = db.run

    async def recorded(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        units.append((getattr(fn, "__name__", repr(fn)), bot.answering))
        return await run(fn, *args, **kwargs)

    for text in ("first", "second", "third"):
        queue(db, users[ALICE], text)
    worker = make_worker(db, bot, clock, yield_to=functools.partial(handlers.quiet, 10))
    worker.db.run = recorded  # type: ignore[method-assign]
    try:
        delivery = asyncio.create_task(worker.deliver_due())
        await asyncio.sleep(0.5)
        assert bot.texts(ALICE) == ["first"]
        assert [name for name, answering in units if answering] == ["_settle"]
        bot.answered.set()
        async with asyncio.timeout(10):
            await delivery
    finally:
        handlers.dispose()
    assert bot.texts(ALICE) == ["first", "second", "third"]
    assert row_of(session, "third").status == OutboxStatus.SENT
