"""/stats [period]: the summary, the chart and the workbook, for supervisors and dispatchers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from telegram import InputFile
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler

from handlers.common import Ctx, handler
from services.stats import report

# Telegram shows a chat action for about five seconds; repeat it while the work goes on.
ACTION_EVERY = 4.0


@contextlib.asynccontextmanager
async def uploading(ctx: Ctx) -> AsyncIterator[None]:
    """The chat shows "sending a file…" until the block ends."""
    chat = ctx.update.effective_chat

    async def keep_showing() -> None:
        while chat is not None:
            with contextlib.suppress(TelegramError):  # a missed indicator harms nobody
                await ctx.context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
            await asyncio.sleep(ACTION_EVERY)

    task = asyncio.create_task(keep_showing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@handler
async def stats(ctx: Ctx) -> None:
    """/stats [period]: month 2026-10, half 2026H1, year 2026 or a date range; this month."""
    chat = ctx.update.effective_chat
    if chat is None:
        return
    period = report.period_of(" ".join(ctx.args), rules=ctx.rules)  # a typo answers at once
    async with uploading(ctx):
        figures = await ctx.deps.db.read(
            report.figures_for, actor=ctx.actor, period=period, rules=ctx.rules
        )
        # Each part goes out as soon as it is ready: the figures first, then the chart, then
        # the workbook. Those two take a moment of CPU: a worker thread, not the event loop
        # and not the database's thread.
        await ctx.reply(report.text(figures, lang=ctx.lang))
        bot, stem = ctx.context.bot, report.file_stem(figures)
        png = await asyncio.to_thread(report.chart, figures, lang=ctx.lang)
        await bot.send_photo(chat.id, photo=InputFile(png, filename=stem + ".png"))
        xlsx = await asyncio.to_thread(report.workbook, figures, lang=ctx.lang)
        await bot.send_document(chat.id, document=InputFile(xlsx, filename=stem + ".xlsx"))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("stats", stats))
