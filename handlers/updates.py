"""Telegram may deliver an update twice; the second delivery must change nothing."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

from bot.inbox import DurableQueue
from handlers.common import deps_of
from services import updates

FIRST_GROUP = -100
LAST_GROUP = 100


async def skip_seen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop processing an update that was already handled to the end."""
    queue = context.application.update_queue
    if isinstance(queue, DurableQueue) and queue.fresh(update.update_id):
        return  # stored as new a moment ago: it cannot have been handled
    if await deps_of(context).db.run(updates.seen, update.update_id):
        raise ApplicationHandlerStop


async def mark_done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record the update once every handler ran; a crash before this lets a redelivery retry."""
    # On the inbox's connection when there is one: the next update's handlers need not wait
    # behind this bookkeeping on theirs.
    queue = context.application.update_queue
    db = queue.db if isinstance(queue, DurableQueue) and queue.db else deps_of(context).db
    await db.run(updates.mark, update.update_id)


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, skip_seen), group=FIRST_GROUP)
    app.add_handler(TypeHandler(Update, mark_done), group=LAST_GROUP)
