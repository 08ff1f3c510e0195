"""The one delivery loop: sends queued outbox rows within Telegram's limits, with retries."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session, col, select
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.db import Database
from bot.textsplit import CAPTION_LIMIT, shorten, split_html, strip_tags
from models import OutboxMessage
from models.enums import OutboxStatus
from models.types import utcnow

log = logging.getLogger(__name__)

# A row being sent is leased: another worker (or this one after a restart) retries it
# only once the lease has run out.
LEASE = timedelta(minutes=2)
MAX_BACKOFF = timedelta(minutes=30)


def keyboard(buttons: list[list[dict[str, str]]] | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b["text"], callback_data=b["data"]) for b in row] for row in buttons]
    )


class OutboxWorker:
    """Delivers outbox rows; ``kick()`` wakes it right after a transaction that queued some."""

    def __init__(
        self,
        *,
        db: Database,
        bot: Bot,
        batch_size: int = 50,
        max_attempts: int = 8,
        idle_poll: float = 2.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.clock = clock  # injectable, so tests can move time instead of waiting
        self.bot = bot
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.idle_poll = idle_poll
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.sent = 0

    def kick(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="outbox")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                delivered = await self.deliver_due()
            except Exception:
                log.exception("outbox delivery round failed")
                delivered = 0
            if delivered < self.batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.idle_poll)
                self._wake.clear()

    async def deliver_due(self, now: datetime | None = None) -> int:
        """Send one batch of due rows; returns how many rows were attempted."""
        rows = await self.db.run(self._claim, now or self.clock())
        if not rows:
            return 0
        by_chat: dict[int, list[OutboxMessage]] = defaultdict(list)
        for row in rows:
            by_chat[row.chat_id].append(row)
        # Chats in parallel, each chat's messages in order; the rate limiter paces them.
        delivered: list[tuple[int, int]] = []
        await asyncio.gather(*(self._send_chat(chat, delivered) for chat in by_chat.values()))
        if delivered:
            # One transaction for the round: per-row commits were a fifth of the bot's CPU.
            # A crash before this line re-sends the round after the lease (at least once).
            await self.db.run(_mark_sent, delivered, self.clock())
            self.sent += len(delivered)
        return len(rows)

    def _claim(self, session: Session, now: datetime) -> list[OutboxMessage]:
        rows = list(
            session.exec(
                select(OutboxMessage)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.next_attempt_at <= now,
                )
                .order_by(col(OutboxMessage.id))
                .limit(self.batch_size)
            ).all()
        )
        for row in rows:
            row.next_attempt_at = now + LEASE
            session.add(row)
        return rows

    async def _send_chat(self, rows: list[OutboxMessage], delivered: list[tuple[int, int]]) -> None:
        for index, row in enumerate(rows):
            retry_at = await self._send_one(row, delivered)
            if retry_at is not None:
                assert row.id is not None  # claimed rows were read from the table
                # Keep order within a chat: every later row of the chat, in this batch or
                # not, waits until this one is retried.
                leased = {r.id for r in rows[index + 1 :]}
                await self.db.run(_postpone, row.chat_id, row.id, retry_at, leased)
                return

    async def _send_one(
        self, row: OutboxMessage, delivered: list[tuple[int, int]]
    ) -> datetime | None:
        """Send one row; the time of its retry if it must be retried, else None."""
        assert row.id is not None  # claimed rows were read from the table
        try:
            message_id = await self._transmit(row)
        except RetryAfter as exc:
            with warnings.catch_warnings():  # PTB 22 warns that the type will become timedelta
                warnings.simplefilter("ignore", PTBDeprecationWarning)
                delay = exc.retry_after
            seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
            return await self.db.run(
                _retry, row.id, f"retry after {seconds}s", seconds, False, self.clock()
            )
        except Forbidden as exc:  # blocked the bot or never started it: retrying cannot help
            await self.db.run(_fail, row.id, str(exc))
            log.warning("outbox %s to %s refused: %s", row.id, row.chat_id, exc)
            return None
        except TelegramError as exc:
            attempts = row.attempts + 1
            if attempts >= self.max_attempts:
                await self.db.run(_fail, row.id, str(exc))
                log.error("outbox %s gave up after %d attempts: %s", row.id, attempts, exc)
                return None
            backoff = min(2**attempts, MAX_BACKOFF.total_seconds())
            return await self.db.run(_retry, row.id, str(exc), backoff, True, self.clock())
        delivered.append((row.id, message_id))
        return None

    async def _transmit(self, row: OutboxMessage) -> int:
        pieces = split_html(row.text) if row.parse_mode == "HTML" else [row.text]
        markup = keyboard(row.buttons)
        first_id = row.telegram_message_id or 0
        done = row.parts_sent
        for i, piece in enumerate(pieces):
            if i < done:
                continue
            last = i == len(pieces) - 1
            try:
                sent = await self.bot.send_message(
                    row.chat_id,
                    piece,
                    parse_mode=row.parse_mode,
                    reply_markup=markup if last else None,
                )
            except BadRequest as exc:
                if "can't parse entities" not in str(exc).lower():
                    raise
                # Never lose a message over markup: send it as plain text instead.
                log.error("outbox %s had bad markup (%s); sending plain text", row.id, exc)
                sent = await self.bot.send_message(
                    row.chat_id, strip_tags(piece), reply_markup=markup if last else None
                )
            first_id = first_id or sent.message_id
            await self._progress(row, i + 1, first_id, several=len(pieces) > 1)
        for j, item in enumerate(row.attachments or [], start=len(pieces)):
            if j < done:
                continue
            caption = shorten(item.get("caption") or "", CAPTION_LIMIT) or None
            if item["kind"] == "photo":
                await self.bot.send_photo(row.chat_id, item["file_id"], caption=caption)
            else:
                await self.bot.send_document(row.chat_id, item["file_id"], caption=caption)
            await self._progress(row, j + 1, first_id, several=True)
        return first_id

    async def _progress(
        self, row: OutboxMessage, parts: int, first_id: int, *, several: bool
    ) -> None:
        """Remember delivered pieces of a multi-part message (single pieces need no record)."""
        row.parts_sent = parts
        row.telegram_message_id = first_id
        if several:
            assert row.id is not None  # claimed rows were read from the table
            await self.db.run(_record_parts, row.id, parts, first_id)


def _record_parts(session: Session, row_id: int, parts: int, first_id: int) -> None:
    row = session.get(OutboxMessage, row_id)
    if row:
        row.parts_sent = parts
        row.telegram_message_id = first_id
        session.add(row)


def _mark_sent(session: Session, delivered: list[tuple[int, int]], now: datetime) -> None:
    message_ids = dict(delivered)
    rows = session.exec(select(OutboxMessage).where(col(OutboxMessage.id).in_(message_ids))).all()
    for row in rows:
        row.status = OutboxStatus.SENT
        row.sent_at = now
        row.attempts += 1
        # Rows read from the table have an id; SQLModel types it int | None.
        row.telegram_message_id = message_ids[row.id]  # type: ignore[index]
        row.last_error = None
        session.add(row)


def _retry(
    session: Session, row_id: int, error: str, delay: float, count: bool, now: datetime
) -> datetime:
    retry_at = now + timedelta(seconds=delay)
    row = session.get(OutboxMessage, row_id)
    if row:
        row.attempts += 1 if count else 0
        row.last_error = error[:500]
        row.next_attempt_at = retry_at
        session.add(row)
    return retry_at


def _fail(session: Session, row_id: int, error: str) -> None:
    row = session.get(OutboxMessage, row_id)
    if row:
        row.status = OutboxStatus.FAILED
        row.attempts += 1
        row.last_error = error[:500]
        session.add(row)


def _postpone(
    session: Session, chat_id: int, after_id: int, until: datetime, leased: set[int | None]
) -> None:
    later = session.exec(
        select(OutboxMessage).where(
            OutboxMessage.chat_id == chat_id,
            col(OutboxMessage.id) > after_id,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
    ).all()
    for row in later:
        # Rows leased by this round are released to ``until``; others only ever move later.
        if row.id in leased or row.next_attempt_at < until:
            row.next_attempt_at = until
            session.add(row)
