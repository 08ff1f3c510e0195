"""Routes free text, photos and documents to the user's open conversation (a Draft).

Conversations live in the database, not in PTB's ConversationHandler state, so a restart in
the middle of one loses nothing and a stale one expires with a note (see services.drafts).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from handlers import menu
from handlers.common import Ctx, handler
from handlers.menu import command_word
from models import Draft
from services import callbacks, drafts
from services.errors import InvalidInput

Flow = Callable[[Ctx, Draft], Awaitable[None]]
FLOWS: dict[str, Flow] = {}


def flow(kind: str) -> Callable[[Flow], Flow]:
    """Register the handler that continues drafts of ``kind`` with the user's next message."""

    def decorate(fn: Flow) -> Flow:
        FLOWS[kind] = fn
        return fn

    return decorate


@handler
async def route(ctx: Ctx) -> None:
    """Continue the user's open conversation, or explain what to do."""
    draft = await ctx.call(drafts.current, user_id=ctx.actor.id, rules=ctx.rules)
    if draft is None or draft.kind not in FLOWS:
        await ctx.reply(ctx.tr("I did not understand that. Send /help to see what you can do."))
        return
    await FLOWS[draft.kind](ctx, draft)


@handler
async def cancel(ctx: Ctx) -> None:
    """Abandon the open conversation; nothing half-done is submitted."""
    had = await ctx.call(drafts.finish, user_id=ctx.actor.id)
    if had:
        await ctx.reply(ctx.tr("Cancelled. Nothing was submitted."))
    else:
        await ctx.reply(ctx.tr("There is nothing to cancel."))


@handler
async def unknown_command(ctx: Ctx) -> None:
    """A command no handler took (a typo, or an old one): say so and list the user's own."""
    command, bot = command_word(ctx.text)
    if not command or (bot and bot.lower() != (ctx.context.bot.username or "").lower()):
        return  # addressed to another bot
    await ctx.reply(menu.unknown_command(ctx.tr, command, ctx.actor.roles))


@handler
async def unknown_button(ctx: Ctx) -> None:
    """A button no handler knows (forged, or left from an older version): a polite refusal."""
    raise InvalidInput(callbacks.STALE_TEXT)


def register(app: Application) -> None:
    """Registered last in group 0, so commands and buttons are matched first."""
    app.add_handler(CommandHandler("cancel", cancel))
    content = (filters.TEXT & ~filters.COMMAND) | filters.PHOTO | filters.Document.ALL
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & content, route))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.COMMAND, unknown_command))
    app.add_handler(CallbackQueryHandler(unknown_button))
