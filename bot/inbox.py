"""The durable intake: an update is in the database before Telegram learns it arrived."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from datetime import timedelta

from telegram import Update
from telegram.ext import Application

from bot.db import Database
from models.types import utcnow
from services import updates

log = logging.getLogger(__name__)

# In webhook mode another live process may be handling a fresh update; only older ones are
# taken as orphans of a crash. A lone poller takes every one.
ORPHANED_AFTER = timedelta(seconds=60)
# How many update ids a process remembers having queued: far more than one getUpdates batch
# (100), which is what Telegram sends again when a restart came before the confirmation.
REMEMBERED = 10_000


class DurableQueue(asyncio.Queue):
    """PTB's update queue, storing each update before accepting it.

    The Updater confirms fetched updates to Telegram (the next getUpdates offset) only after
    every ``put`` returned, and the webhook answers Telegram's POST only after ``put``
    returned, so an update Telegram considers delivered is always in the database.
    """

    def __init__(self) -> None:
        super().__init__()
        self.db: Database | None = None  # set once the application has its database
        # Updates this process stored as new: handling them needs no "seen before?" query.
        self._fresh: set[int] = set()
        # Updates queued here already. A second copy (the replay after a restart, then
        # Telegram's redelivery of the unconfirmed batch) would be handled at the same time as
        # the first, both before either is marked handled: the copy is dropped instead.
        self._queued: set[int] = set()
        self._queued_order: deque[int] = deque()

    async def put(self, item: object) -> None:
        if isinstance(item, Update):
            if self._seen_here(item.update_id):
                log.info("update %s is queued already; its second copy is dropped", item.update_id)
                return
            if self.db is not None:
                await self._store(item)
        await super().put(item)

    def _seen_here(self, update_id: int) -> bool:
        """Whether this process queued the update before; remembers it if not."""
        if update_id in self._queued:
            return True
        self._queued.add(update_id)
        self._queued_order.append(update_id)
        if len(self._queued_order) > REMEMBERED:
            self._queued.discard(self._queued_order.popleft())
        return False

    async def _store(self, update: Update) -> None:
        assert self.db is not None
        delay, last_log = 0.5, 0.0
        while True:
            try:
                fresh = await self.db.run(
                    updates.store, update_id=update.update_id, payload=update.to_dict()
                )
                if fresh:
                    self._fresh.add(update.update_id)
                return
            except Exception:
                # Not stored means not confirmed: keep Telegram's copy until the database
                # answers again, and say so once a minute rather than once a try.
                if time.monotonic() - last_log > 60:
                    log.exception("cannot store update %s; retrying", update.update_id)
                    last_log = time.monotonic()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def fresh(self, update_id: int) -> bool:
        """Whether this process stored the update as new (asked once per update)."""
        try:
            self._fresh.remove(update_id)
        except KeyError:
            return False
        return True

    async def requeue(self, update: Update) -> None:
        """Queue an update that is stored already (once, however often it is asked)."""
        if not self._seen_here(update.update_id):
            await super().put(update)


async def replay_unhandled(application: Application, *, everything: bool) -> int:
    """Queue stored updates a crash left unhandled; ``everything`` for the lone poller."""
    db: Database = application.bot_data["deps"].db
    before = None if everything else utcnow() - ORPHANED_AFTER
    pending = await db.run(updates.unhandled, received_before=before)
    queue = application.update_queue
    for _update_id, payload in pending:
        update = Update.de_json(payload, application.bot)
        if isinstance(queue, DurableQueue):
            await queue.requeue(update)
        else:
            await queue.put(update)
    if pending:
        log.info("handling %d update(s) received before a restart", len(pending))
    return len(pending)
