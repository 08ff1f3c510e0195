"""The one delivery loop: sends queued outbox rows within Telegram's limits, with retries."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
import uuid
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.db import Database
from bot.pacing import Pacer
from bot.textsplit import CAPTION_LIMIT, shorten, split_html, strip_tags
from models import OutboxFile, OutboxMessage
from models.types import utcnow
from services import blocked, digests, outbox
from services.outbox import SUPERSEDED
from services.rules import Rules

log = logging.getLogger(__name__)

# A row being sent is leased to its process. Another process takes it over when the lease
# runs out, or at once when bot/lock.py says the holder is gone (a restart after a crash).
LEASE = timedelta(minutes=2)
# Messages sent and not yet recorded, at once. A crash repeats those Telegram took but the bot
# had not yet recorded, so fewer is better; 2 still carries about 20 a second at 100 ms a call.
IN_FLIGHT = 2
TAKEOVER_EVERY = 10.0  # seconds between looks for leases of processes that died
MAX_BACKOFF = timedelta(minutes=5)  # Telegram back after an outage: owed messages soon go


def keyboard(buttons: list[list[dict[str, str]]] | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b["text"], callback_data=b["data"]) for b in row] for row in buttons]
    )


@dataclass
class Sent:
    message_id: int
    note: str | None = None  # an edit settled without a change (message gone, too old, same)
    # Per card, queued edits this call applied too (other cards of the digest it edited).
    also: list[list[int]] = field(default_factory=list)


@dataclass
class Retry:
    error: str
    delay: float
    count: bool  # whether it counts as an attempt (a 429 does not)


@dataclass
class Failed:
    error: str
    blocked: bool = False  # Telegram refused: the user blocked the bot


Outcome = Sent | Retry | Failed


class OutboxWorker:
    """Delivers outbox rows; ``kick()`` wakes it right after a transaction that queued some.

    Each chat with something due gets a lane that sends its rows one after another (order
    within a chat); up to ``batch_size`` lanes run at once (parallelism across chats). A row
    is recorded as sent in its own transaction right after Telegram accepted it, so a crash
    can repeat only the messages that were in flight at that moment.
    """

    def __init__(
        self,
        *,
        db: Database,
        bot: Bot,
        batch_size: int = 50,
        max_attempts: int = 8,
        idle_poll: float = 2.0,
        clock: Callable[[], datetime] = utcnow,
        owner: str | None = None,
        live_owners: Callable[[Session], set[str]] | None = None,
        in_flight: int = IN_FLIGHT,
        pacer: Pacer | None = None,
        rules: Rules | None = None,
        yield_to: Callable[[], Awaitable[object]] | None = None,
        digest_after: float | None = None,
    ) -> None:
        self.db = db
        self.clock = clock  # injectable, so tests can move time instead of waiting
        self.bot = bot
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.idle_poll = idle_poll
        # Who holds a lease; bot/lock.py says which owners are still alive.
        self.owner = owner or f"worker-{uuid.uuid4().hex[:16]}"
        self.live_owners = live_owners
        self._in_flight = asyncio.Semaphore(in_flight)
        # Keeps within Telegram's limits by itself, below the bot's whole budget (answers first).
        self.pacer = pacer or Pacer()
        # Who is told when a user blocks the bot, in which zone and language (None: nobody).
        self.rules = rules
        # Waits while the handlers' database work is under way (answers first): the outbox's
        # own queries and sends then take no CPU from the answer to someone who just wrote.
        self.yield_to = yield_to
        # A chat whose next message has waited this long (seconds) has fallen behind its one
        # message a second: the messages queued for it then go out together as digests
        # (services/digests.py), so it catches up (None: each in a message of its own).
        self.digest_after = digest_after
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lanes: dict[int, asyncio.Task[int]] = {}
        self._last_takeover = 0.0
        self.sent = 0

    def kick(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        await self.take_over()
        self._task = asyncio.create_task(self._loop(), name="outbox")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._lanes.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None
        self._lanes.clear()

    async def take_over(self) -> int:
        """Free rows leased by processes that no longer exist, so they go out now."""
        if self.live_owners is None:
            return 0
        self._last_takeover = time.monotonic()
        freed = await self.db.run(_release_dead, self.live_owners, self.owner)
        if freed:
            log.info("outbox: took over %d row(s) leased by a process that is gone", freed)
        return freed

    async def _loop(self) -> None:
        while True:
            try:
                if time.monotonic() - self._last_takeover > TAKEOVER_EVERY:
                    await self.take_over()
                await self._fill()
            except Exception:
                log.exception("outbox delivery round failed")
            # Not asyncio.wait_for: on Python 3.11 it swallows a cancel that arrives as the event
            # is set (a lane's kick), and stop() then waited for this loop for ever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.idle_poll):
                    await self._wake.wait()
            self._wake.clear()

    async def _fill(self) -> None:
        """Open a lane for each chat with a due row, as far as free lanes allow."""
        free = self.batch_size - len(self._lanes)
        if free <= 0:
            return
        await self._yield()
        rows = await self.db.run(self._claim, self.clock(), free, set(self._lanes))
        for row in rows:
            task = asyncio.create_task(self._lane(row), name=f"outbox-{row.chat_id}")
            self._lanes[row.chat_id] = task
            task.add_done_callback(functools.partial(self._lane_done, row.chat_id))

    def _lane_done(self, chat_id: int, task: asyncio.Task[int]) -> None:
        self._lanes.pop(chat_id, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("outbox lane of chat %s failed", chat_id, exc_info=task.exception())
        self._wake.set()  # a free lane: look for more work

    async def deliver_due(self, now: datetime | None = None) -> int:
        """Claim due chats and run their lanes until nothing is due; rows attempted."""
        rows = await self.db.run(self._claim, now or self.clock(), self.batch_size, set())
        counts = await asyncio.gather(*(self._lane(row) for row in rows))
        return sum(counts)

    def _claim(self, session: Session, now: datetime, limit: int, busy: set[int]) -> list:
        return outbox.claim(
            session, owner=self.owner, now=now, limit=limit, lease=LEASE, skip_chats=busy
        )

    async def _lane(self, row: OutboxMessage | None) -> int:
        """Send a chat's rows in order until none is due or one must wait for a retry."""
        attempted = 0
        while row is not None:
            attempted += 1
            chat_id, shown, carried = row.chat_id, list[list[int]](), list[int]()
            # Waits for its chat's turn before taking a slot, so a chat waiting holds none; and
            # before reading what to send, so that is as late, and a digest as full, as can be.
            # The turn itself is taken only in the slot, as it sends: one taken before a long
            # wait for a slot would let the chat's messages reach Telegram closer than paced.
            await self.pacer.ready(chat_id)
            await self._yield()
            if row.live_key and not row.parts_sent:
                row, edits = await self.db.run(self._latest_state, row, self.clock())
                if row is None:  # an edit a later one replaces: settled without a call
                    row = await self.db.run(self._next, chat_id, self.clock())
                    continue
                shown += [edits] if edits else []
            sending = row
            if self._behind(row):
                sending, carried, shown = await self.db.run(self._digest, row, shown, self.clock())
            await self._yield()
            # The slot is held until the outcome is recorded: a crash can repeat only messages
            # holding a slot, so at most ``in_flight`` however slow the recording is. The
            # record is one short transaction; the chat's next row is looked up after it.
            async with self._in_flight:
                await self.pacer.wait(chat_id)
                await self._yield()  # the pacing may have slept while an update came in
                outcome = await self._send_one(sending)
                settled = await self.db.run(
                    self._settle, sending, outcome, self.clock(), shown, carried
                )
            if not settled and sending is not row:  # a digest sent ahead of ``row`` must wait:
                await self.db.run(_unlease, row.id, self.owner)  # ``row`` is free to go first
            if settled:
                await self._yield()
            row = await self.db.run(self._next, chat_id, self.clock()) if settled else None
        return attempted

    async def _yield(self) -> None:
        """Let the handlers' work (an answer someone waits for) go first, within a limit.

        Before each unit of the outbox's own database work but the record of a call made:
        the outbox's units share the interpreter (on SQLite, the event loop too, or the file's
        turn), so one that starts as an update arrives slows that answer down.
        """
        await asyncio.sleep(0)  # at least this: a lane settling stale edits makes no call
        if self.yield_to is not None:
            await self.yield_to()

    def _latest_state(
        self, session: Session, row: OutboxMessage, now: datetime
    ) -> tuple[OutboxMessage | None, list[int]]:
        """Show a state's latest version: edits queued behind it need no call of their own.

        A row whose state a later edit in the same chat replaces is settled without a call
        (None); a message still to be sent takes the latest edit's text and buttons, and those
        edits (ids returned) are settled with it. Under a backlog this spares the chat's paced
        turns for messages, not for states nobody would see.
        """
        assert row.id is not None
        later = outbox.later_states(session, row=row)
        if not later:
            return row, []
        if row.kind == "edit":
            outbox.record_sent(session, row_id=row.id, message_id=0, now=now, note=SUPERSEDED)
            return None, []
        latest = later[-1]
        row.text, row.buttons, row.parse_mode = latest.text, latest.buttons, latest.parse_mode
        return row, [edit.id for edit in later if edit.id is not None]

    def _behind(self, row: OutboxMessage) -> bool:
        """Whether the chat has waited for ``row`` too long, and a digest could help."""
        if self.digest_after is None or not (row.kind == "edit" or digests.can_share(row)):
            return False
        return (self.clock() - row.next_attempt_at).total_seconds() >= self.digest_after

    def _digest(
        self, session: Session, row: OutboxMessage, shown: list[list[int]], now: datetime
    ) -> tuple[OutboxMessage, list[int], list[list[int]]]:
        """What to send now for a chat that fell behind, the rows it carries, the edits it shows.

        A digest: the message ``row`` (or, when ``row`` edits an older message, the first
        message queued behind it: new things first) carrying the messages queued right behind
        it that can share it; per card, the queued edits whose latest state it shows. Carried
        rows are recorded as sent with it, so a crash repeats them at most once, as one
        message. The row returned is this lane's copy: the database keeps its own text.
        """
        lead = row
        if row.kind == "edit":
            found = digests.lead_after(session, head=row, now=now)
            if found is None:
                return row, [], shown
            part, edits = digests.latest(session, found)
            lead, shown = found, [edits] if edits else []
            lead.text, lead.buttons = part.text, part.buttons
        if not digests.can_share(lead):
            return lead, [], shown
        parts, carried, folded = digests.gather(session, head=lead, now=now)
        if carried:
            lead.text, lead.buttons = digests.compose(parts)
        return lead, carried, shown + folded

    def _settle(
        self,
        session: Session,
        row: OutboxMessage,
        outcome: Outcome,
        now: datetime,
        shown: list[list[int]] | None = None,
        carried: list[int] | None = None,
    ) -> bool:
        """Record the outcome; whether the row is out of the chat's way (not to be retried)."""
        assert row.id is not None
        if isinstance(outcome, Sent):
            self.sent += 1
            outbox.record_sent(
                session, row_id=row.id, message_id=outcome.message_id, now=now, note=outcome.note
            )
            for edits in [*(shown or []), *outcome.also]:  # per card, edits whose state it shows
                outbox.record_shown(session, row_ids=edits, message_id=outcome.message_id, now=now)
            if carried:  # the rows this message carried after its own (a digest)
                digests.record_carried(
                    session, row_ids=carried, head_id=row.id, message_id=outcome.message_id, now=now
                )
            return True
        if isinstance(outcome, Failed):
            if outcome.blocked and row.user_id is not None:
                if self.rules is not None:
                    blocked.mark_blocked(
                        session, user_id=row.user_id, error=outcome.error, rules=self.rules.at(now)
                    )
            outbox.record_failed(session, row_id=row.id, error=outcome.error)
            return True
        until = now + timedelta(seconds=outcome.delay)
        outbox.postpone(
            session, row_id=row.id, error=outcome.error, until=until, count=outcome.count
        )
        return False

    def _next(self, session: Session, chat_id: int, now: datetime) -> OutboxMessage | None:
        """The chat's next row, leased, if it is due."""
        return outbox.next_of_chat(session, chat_id, now=now, owner=self.owner, lease=LEASE)

    async def _send_one(self, row: OutboxMessage) -> Outcome:
        """Send one row; what happened, for ``_settle`` to record."""
        try:
            if row.kind == "edit":
                return await self._edit(row)
            if row.kind in outbox.FILE_KINDS:
                return await self._upload(row)
            return Sent(await self._transmit(row))
        except RetryAfter as exc:
            with warnings.catch_warnings():  # PTB 22 warns that the type will become timedelta
                warnings.simplefilter("ignore", PTBDeprecationWarning)
                delay = exc.retry_after
            seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
            log.warning("outbox %s to %s: flood limit, retry after %ss", row.id, row.chat_id, delay)
            return Retry(f"retry after {seconds}s", seconds, count=False)
        except Forbidden as exc:  # blocked the bot or never started it: retrying cannot help
            log.warning("outbox %s to %s refused: %s", row.id, row.chat_id, exc)
            return Failed(str(exc), blocked=True)
        except BadRequest as exc:  # wrong request: a few tries (it may be transient), then stop
            attempts = row.attempts + 1
            if attempts >= self.max_attempts:
                log.error("outbox %s gave up after %d attempts: %s", row.id, attempts, exc)
                return Failed(str(exc))
            return Retry(str(exc), self._backoff(attempts), count=True)
        except NetworkError as exc:  # 5xx, timeouts, dropped connections: retried until it goes
            attempts = row.attempts + 1
            log.warning("outbox %s attempt %d failed: %s", row.id, attempts, exc)
            return Retry(str(exc), self._backoff(attempts), count=True)
        except TelegramError as exc:
            attempts = row.attempts + 1
            if attempts >= self.max_attempts:
                log.error("outbox %s gave up after %d attempts: %s", row.id, attempts, exc)
                return Failed(str(exc))
            return Retry(str(exc), self._backoff(attempts), count=True)

    @staticmethod
    def _backoff(attempts: int) -> float:
        return float(min(2**attempts, MAX_BACKOFF.total_seconds()))

    async def _call(
        self, chat_id: int, send: Callable[[], Awaitable[Message]], calls: list[int]
    ) -> Message:
        """One Bot API call; the row's first was paced by its lane, the others are paced here."""
        if calls[0]:
            await self.pacer.wait(chat_id)
        calls[0] += 1
        return await send()

    async def _edit(self, row: OutboxMessage) -> Sent:
        """Show a new state in the message recorded under the row's key; never a new message."""
        assert row.live_key is not None
        message_id = await self.db.run(_live_message, row.live_key, row.chat_id)
        if message_id is None:
            return Sent(0, note="nothing to edit: no message recorded under this key")
        # A card inside a digest: the digest is edited, with the other cards' queued states.
        text, buttons, also = await self.db.run(_with_new_state, row, message_id)
        try:
            await self._call(
                row.chat_id,
                lambda: self.bot.edit_message_text(  # type: ignore[arg-type,return-value]
                    split_html(text)[0],
                    chat_id=row.chat_id,
                    message_id=message_id,
                    parse_mode=row.parse_mode,
                    reply_markup=keyboard(buttons),
                ),
                [0],  # the lane paced this row's one call already
            )
        except BadRequest as exc:
            # Gone, too old to edit, or already showing this: the card cannot be helped, and
            # retrying would only loop.
            log.info("outbox %s: edit of message %s left as is: %s", row.id, message_id, exc)
            return Sent(message_id, note=f"edit not applied: {exc}")
        return Sent(message_id, also=also)

    async def _upload(self, row: OutboxMessage) -> Outcome:
        """Send the row's stored picture or document, its text as the caption."""
        assert row.id is not None
        stored = await self.db.run(_file_of, row.id)
        if stored is None:
            return Failed("no file stored for this row")
        send = self.bot.send_photo if row.kind == "photo" else self.bot.send_document
        caption = shorten(row.text, CAPTION_LIMIT) or None
        sent = await self._call(
            row.chat_id,
            functools.partial(
                send, row.chat_id, stored.content, caption=caption, filename=stored.filename
            ),
            [0],  # the lane paced this row's one call already
        )
        return Sent(sent.message_id)

    async def _transmit(self, row: OutboxMessage) -> int:
        pieces = split_html(row.text) if row.parse_mode == "HTML" else [row.text]
        markup = keyboard(row.buttons)
        first_id = row.telegram_message_id or 0
        done = row.parts_sent
        calls = [0]  # Bot API calls made for this row so far
        for i, piece in enumerate(pieces):
            if i < done:
                continue
            last = i == len(pieces) - 1
            reply_markup = markup if last else None
            try:
                sent = await self._call(
                    row.chat_id,
                    functools.partial(
                        self.bot.send_message,
                        row.chat_id,
                        piece,
                        parse_mode=row.parse_mode,
                        reply_markup=reply_markup,
                    ),
                    calls,
                )
            except BadRequest as exc:
                if "can't parse entities" not in str(exc).lower():
                    raise
                # Never lose a message over markup: send it as plain text instead.
                log.error("outbox %s had bad markup (%s); sending plain text", row.id, exc)
                sent = await self._call(
                    row.chat_id,
                    functools.partial(
                        self.bot.send_message,
                        row.chat_id,
                        strip_tags(piece),
                        reply_markup=reply_markup,
                    ),
                    calls,
                )
            first_id = first_id or sent.message_id
            await self._progress(row, i + 1, first_id, several=len(pieces) > 1)
        for j, item in enumerate(row.attachments or [], start=len(pieces)):
            if j < done:
                continue
            caption = shorten(item.get("caption") or "", CAPTION_LIMIT) or None
            send = self.bot.send_photo if item["kind"] == "photo" else self.bot.send_document
            await self._call(
                row.chat_id,
                functools.partial(send, row.chat_id, item["file_id"], caption=caption),
                calls,
            )
            await self._progress(row, j + 1, first_id, several=True)
        return first_id

    async def _progress(
        self, row: OutboxMessage, parts: int, first_id: int, *, several: bool
    ) -> None:
        """Remember delivered pieces of a multi-part message (single pieces need no record)."""
        assert row.id is not None  # rows come from the database
        row.parts_sent = parts
        row.telegram_message_id = first_id
        if several:
            await self.db.run(_record_parts, row.id, parts, first_id)


def _record_parts(session: Session, row_id: int, parts: int, first_id: int) -> None:
    outbox.record_parts(session, row_id=row_id, parts=parts, first_id=first_id)


def _file_of(session: Session, outbox_id: int) -> OutboxFile | None:
    return outbox.file_of(session, outbox_id)


def _live_message(session: Session, live_key: str, chat_id: int) -> int | None:
    return outbox.live_message(session, live_key=live_key, chat_id=chat_id)


def _with_new_state(
    session: Session, edit: OutboxMessage, message_id: int
) -> tuple[str, list[list[dict[str, str]]] | None, list[list[int]]]:
    return digests.with_new_state(session, edit=edit, message_id=message_id)


def _unlease(session: Session, row_id: int | None, owner: str) -> None:
    if row_id is not None:
        outbox.unlease(session, row_id=row_id, owner=owner)


def _release_dead(session: Session, live_owners: Callable[[Session], set[str]], owner: str) -> int:
    return outbox.release_leases(session, keep=live_owners(session) | {owner})
