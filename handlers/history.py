"""/history <assignment>: the assignment's timeline, for those allowed to see it."""

from __future__ import annotations

from telegram.ext import Application, CommandHandler

from handlers.common import Ctx, handler
from services import history
from services.errors import InvalidInput
from services.messages.history import history_text


@handler
async def history_command(ctx: Ctx) -> None:
    """/history <assignment number>."""
    if not ctx.args:
        raise InvalidInput("Usage: /history <assignment number>, for example /history 2026-0001-1")
    found = await ctx.call(history.assignment_history, actor=ctx.actor, number=ctx.args[0])
    await ctx.reply(history_text(ctx.lang, found, zone=ctx.rules.zone))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("history", history_command))
