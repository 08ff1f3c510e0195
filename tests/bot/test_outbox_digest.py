"""A chat that fell behind gets its queued messages together, in order, and nothing is lost."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session
from telegram.error import NetworkError

from bot.db import Database
from bot.outbox import OutboxWorker
from models import User
from models.enums import OutboxStatus
from services.digests import BUNDLED, SEPARATOR
from tests.bot import test_outbox_worker as worker_tests
from tests.bot.test_outbox_edits import EditingBot, edit, live
from tests.bot.test_outbox_worker import (
    ALICE,
    BOB,
    NOW,
    Clock,
    FakeBot,
    make_worker,
    queue,
    row_of,
    rows,
)

users, clock, bot = worker_tests.users, worker_tests.clock, worker_tests.bot  # their fixtures


def editing(db: Database, clock: Clock) -> tuple[EditingBot, OutboxWorker]:
    """A bot that also edits, and a worker that makes digests after 5 s."""
    bot = EditingBot()
    return bot, make_worker(db, bot, clock, digest_after=5.0)


CARD = [[{"text": "Sign for", "data": "a:ack:1"}]]
CARD2 = [[{"text": "Open", "data": "c:view:2"}]]


async def test_a_chat_behind_gets_its_plain_notices_in_one_message(
    db: Database, session: Session, users: dict[int, User], bot: FakeBot, clock: Clock
) -> None:
    for i in range(5):
        queue(db, users[ALICE], f"case {i} signed for")
    queue(db, users[BOB], "bob's only notice")
    clock.advance(seconds=6)
    worker = make_worker(db, bot, clock, digest_after=5.0)
    await worker.deliver_due()
    assert bot.texts(ALICE) == [SEPARATOR.join(f"case {i} signed for" for i in range(5))]
    assert bot.texts(BOB) == ["bob's only notice"]
    head = row_of(session, "case 0 signed for")
    for i in range(1, 5):
        row = row_of(session, f"case {i} signed for")
        assert row.status == OutboxStatus.SENT
        assert row.telegram_message_id == head.telegram_message_id
        assert row.last_error == f"{BUNDLED} {head.id}"
    assert await worker.deliver_due() == 0
    assert len(bot.sent) == 2


async def test_a_chat_keeping_up_gets_each_notice_on_its_own(
    db: Database, session: Session, users: dict[int, User], bot: FakeBot, clock: Clock
) -> None:
    for i in range(3):
        queue(db, users[ALICE], f"notice {i}")
    clock.advance(seconds=4)
    await make_worker(db, bot, clock, digest_after=5.0).deliver_due()
    assert bot.texts(ALICE) == [f"notice {i}" for i in range(3)]


async def test_without_the_setting_nothing_is_combined(
    db: Database, session: Session, users: dict[int, User], bot: FakeBot, clock: Clock
) -> None:
    for i in range(3):
        queue(db, users[ALICE], f"notice {i}")
    clock.advance(hours=1)
    await make_worker(db, bot, clock).deliver_due()
    assert bot.texts(ALICE) == [f"notice {i}" for i in range(3)]


async def test_cards_are_numbered_with_their_buttons_and_a_file_ends_the_digest(
    db: Database, session: Session, users: dict[int, User], bot: FakeBot, clock: Clock
) -> None:
    queue(db, users[ALICE], "one")
    queue(db, users[ALICE], "the card", buttons=CARD, live_key="assignment:1")
    queue(db, users[ALICE], "two")
    queue(db, users[ALICE], "photo", attachments=[{"kind": "photo", "file_id": "f1"}])
    queue(db, users[ALICE], "three")
    queue(db, users[ALICE], "another card", buttons=CARD2)
    clock.advance(seconds=30)
    await make_worker(db, bot, clock, digest_after=5.0).deliver_due()
    sent = [(s.method, s.content) for s in bot.sent]
    assert sent == [
        ("message", SEPARATOR.join(["one", "① the card", "two"])),
        ("message", "photo"),
        ("photo", "f1"),
        ("message", SEPARATOR.join(["three", "① another card"])),
    ]
    labels = [
        [[(b.text, b.callback_data) for b in line] for line in s.reply_markup.inline_keyboard]
        for s in bot.sent
        if s.reply_markup is not None
    ]
    assert labels == [[[("① Sign for", "a:ack:1")]], [[("① Open", "c:view:2")]]]
    assert all(r.status == OutboxStatus.SENT for r in rows(session).values())
    assert live(session) == {("assignment:1", ALICE): row_of(session, "one").telegram_message_id}


async def test_a_digest_stops_before_it_would_pass_one_message(
    db: Database, session: Session, users: dict[int, User], bot: FakeBot, clock: Clock
) -> None:
    texts = [f"{i}" * 1500 for i in range(5)]
    for i, text in enumerate(texts):
        queue(db, users[ALICE], text, key=f"long:{i}")
    clock.advance(seconds=10)
    await make_worker(db, bot, clock, digest_after=5.0).deliver_due()
    assert bot.texts(ALICE) == [
        SEPARATOR.join(texts[0:2]),
        SEPARATOR.join(texts[2:4]),
        texts[4],
    ]
    assert all(len(text) <= 4096 for text in bot.texts(ALICE))


async def test_plain_and_html_notices_are_not_mixed(
    db: Database, session: Session, users: dict[int, User], bot: FakeBot, clock: Clock
) -> None:
    queue(db, users[ALICE], "<b>bold</b>")
    queue(db, users[ALICE], "a < b, plain", parse_mode=None)
    queue(db, users[ALICE], "<i>html again</i>")
    clock.advance(seconds=10)
    await make_worker(db, bot, clock, digest_after=5.0).deliver_due()
    assert [(s.content, s.parse_mode) for s in bot.sent] == [
        ("<b>bold</b>", "HTML"),
        ("a < b, plain", None),
        ("<i>html again</i>", "HTML"),
    ]


async def test_a_failed_digest_loses_none_of_its_notices(
    db: Database, session: Session, users: dict[int, User], bot: FakeBot, clock: Clock
) -> None:
    for i in range(4):
        queue(db, users[ALICE], f"notice {i}")
    clock.advance(seconds=10)
    bot.failures = lambda call: NetworkError("502 Bad Gateway") if not bot.attempts[1:] else None
    worker = make_worker(db, bot, clock, digest_after=5.0)
    await worker.deliver_due()
    assert bot.sent == []
    assert all(r.status == OutboxStatus.PENDING for r in rows(session).values())
    # Queued while the digest waited for its retry: it goes out after, in the same message.
    queue(db, users[ALICE], "notice 4", not_before=NOW + timedelta(seconds=10))
    clock.advance(seconds=60)
    await worker.deliver_due()
    assert bot.texts(ALICE) == [SEPARATOR.join(f"notice {i}" for i in range(5))]
    assert all(r.status == OutboxStatus.SENT for r in rows(session).values())


async def test_a_cards_new_state_edits_the_digest_and_keeps_the_other_parts(
    db: Database, session: Session, users: dict[int, User], clock: Clock
) -> None:
    bot, worker = editing(db, clock)
    queue(db, users[ALICE], "notice")
    queue(db, users[ALICE], "card A: new", live_key="A", buttons=CARD)
    edit(db, users[ALICE], "card A: seen", key="A", buttons=CARD)  # queued: folded into the send
    queue(db, users[ALICE], "card B: new", live_key="B", buttons=CARD2)
    clock.advance(seconds=10)
    await worker.deliver_due()
    assert bot.texts(ALICE) == [SEPARATOR.join(["notice", "① card A: seen", "② card B: new"])]
    assert row_of(session, "card A: seen").status == OutboxStatus.SENT
    digest_id = row_of(session, "notice").telegram_message_id
    assert live(session) == {("A", ALICE): digest_id, ("B", ALICE): digest_id}
    edit(db, users[ALICE], "card B: done", key="B")
    await worker.deliver_due()
    edit(db, users[ALICE], "card A: dispatched", key="A", buttons=CARD)
    await worker.deliver_due()
    assert [(e.message_id, e.text) for e in bot.edits] == [
        (digest_id, SEPARATOR.join(["notice", "① card A: seen", "② card B: done"])),
        (digest_id, SEPARATOR.join(["notice", "① card A: dispatched", "② card B: done"])),
    ]
    markup = bot.edits[-1].reply_markup
    assert markup is not None
    assert [[b.text for b in line] for line in markup.inline_keyboard] == [["① Sign for"]]
    assert bot.texts(ALICE) == [SEPARATOR.join(["notice", "① card A: seen", "② card B: new"])]


async def test_edits_of_earlier_messages_neither_break_a_digest_nor_cost_a_call_each(
    db: Database, session: Session, users: dict[int, User], clock: Clock
) -> None:
    bot, worker = editing(db, clock)
    queue(db, users[ALICE], "card A: new", live_key="A", buttons=CARD)
    queue(db, users[ALICE], "card B: new", live_key="B", buttons=CARD2)
    clock.advance(seconds=10)
    await worker.deliver_due()
    first = SEPARATOR.join(["① card A: new", "② card B: new"])
    assert bot.texts(ALICE) == [first]
    queue(db, users[ALICE], "n0", not_before=clock.now)
    edit(db, users[ALICE], "card A: dispatched", key="A", not_before=clock.now)
    queue(db, users[ALICE], "n1", not_before=clock.now)
    edit(db, users[ALICE], "card B: dispatched", key="B", not_before=clock.now)
    queue(db, users[ALICE], "n2", not_before=clock.now)
    clock.advance(seconds=10)
    await worker.deliver_due()
    assert bot.texts(ALICE) == [first, SEPARATOR.join(["n0", "n1", "n2"])]
    both = SEPARATOR.join(["① card A: dispatched", "② card B: dispatched"])
    assert [(e.message_id, e.text) for e in bot.edits] == [(1, both)]  # one call for the two
    assert all(r.status == OutboxStatus.SENT for r in rows(session).values())


async def test_a_card_sent_again_is_not_carried_past_an_edit_of_its_older_message(
    db: Database, session: Session, users: dict[int, User], clock: Clock
) -> None:
    bot, worker = editing(db, clock)
    queue(db, users[ALICE], "card A: new", live_key="A", buttons=CARD)
    await worker.deliver_due()
    queue(db, users[ALICE], "n0")
    edit(db, users[ALICE], "card A: closed", key="A")
    queue(db, users[ALICE], "card A: reopened", live_key="A", buttons=CARD)
    queue(db, users[ALICE], "n1")
    clock.advance(seconds=10)
    await worker.deliver_due()
    assert bot.texts(ALICE) == [
        "card A: new",
        "n0",
        SEPARATOR.join(["① card A: reopened", "n1"]),
    ]
    assert [(e.message_id, e.text) for e in bot.edits] == [(1, "card A: closed")]
    assert live(session) == {("A", ALICE): 3}


async def test_a_chat_behind_gets_new_messages_before_edits_of_older_ones(
    db: Database, session: Session, users: dict[int, User], clock: Clock
) -> None:
    calls: list[str] = []
    bot = EditingBot(failures=lambda call: calls.append(f"send {call.content}") or None)
    worker = make_worker(db, bot, clock, digest_after=5.0)
    queue(db, users[ALICE], "card A: new", live_key="A", buttons=CARD)
    queue(db, users[ALICE], "card B: new", live_key="B", buttons=CARD2)
    await worker.deliver_due()  # not behind: two messages
    edit(db, users[ALICE], "card A: dispatched", key="A")
    edit(db, users[ALICE], "card B: dispatched", key="B")
    queue(db, users[ALICE], "n1")
    queue(db, users[ALICE], "n2")
    clock.advance(seconds=10)
    calls.clear()
    await worker.deliver_due()
    assert calls == [f"send n1{SEPARATOR}n2"]
    assert [(e.message_id, e.text) for e in bot.edits] == [
        (1, "card A: dispatched"),
        (2, "card B: dispatched"),
    ]
    assert all(r.status == OutboxStatus.SENT for r in rows(session).values())


async def test_an_edit_is_not_held_up_by_a_digest_that_must_wait_for_a_retry(
    db: Database, session: Session, users: dict[int, User], clock: Clock
) -> None:
    bot, worker = editing(db, clock)
    queue(db, users[ALICE], "card A: new", live_key="A", buttons=CARD)
    await worker.deliver_due()
    edit(db, users[ALICE], "card A: dispatched", key="A")
    queue(db, users[ALICE], "n1")
    clock.advance(seconds=10)
    bot.failures = lambda call: NetworkError("502 Bad Gateway") if call.content == "n1" else None
    await worker.deliver_due()
    assert bot.edits == [] and row_of(session, "n1").status == OutboxStatus.PENDING
    await worker.deliver_due()  # the edit goes now; n1 waits for its retry
    assert [e.text for e in bot.edits] == ["card A: dispatched"]
    assert row_of(session, "n1").status == OutboxStatus.PENDING
    bot.failures = lambda call: None
    clock.advance(minutes=1)
    await worker.deliver_due()
    assert bot.texts(ALICE) == ["card A: new", "n1"]
