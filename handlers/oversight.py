"""Dispatchers and supervisors: /overdue, /supervise and the drafted supervision order's button."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.i18n import N_
from handlers.common import Ctx, button, handler
from models import SupervisionOrder
from services import callbacks
from services.deadlines import overdue as oversight
from services.errors import InvalidInput
from services.messages import deadlines as messages
from services.messages.common import bold, local_time


@handler
async def overdue(ctx: Ctx) -> None:
    """Every overdue assignment and supervision order, oldest first, with how late."""
    items = await ctx.call(
        oversight.overdue, actor=ctx.actor, rules=ctx.rules, limit=ctx.rules.limits.tasks_list
    )
    if not items:
        await ctx.reply(ctx.tr("Nothing is overdue."))
        return
    lines = ["<b>" + ctx.tr("Overdue: {count}", count=len(items)) + "</b>"]
    lines += [messages.late_line(ctx.lang, item, zone=ctx.rules.zone) for item in items]
    await ctx.reply("\n".join(lines))


def _issued(ctx: Ctx, order: SupervisionOrder) -> str:
    return "🟠 " + ctx.tr(
        "Supervision order {order} issued; due {due}.",
        order=bold(order.number),
        due=local_time(order.due_at, zone=ctx.rules.zone),
    )


@handler
async def supervise(ctx: Ctx) -> None:
    """/supervise <assignment> [deadline]."""
    parts = ctx.text.split(maxsplit=2)
    if len(parts) < 2:
        raise InvalidInput(N_("Usage: /supervise <assignment number> [deadline]"))
    order = await ctx.call(
        oversight.supervise,
        actor=ctx.actor,
        assignment_number=parts[1],
        deadline=parts[2] if len(parts) > 2 else None,
        rules=ctx.rules,
    )
    await ctx.reply(_issued(ctx, order))


@handler
async def issue_button(ctx: Ctx) -> None:
    """The Issue button on a drafted supervision order."""
    data = button(ctx, callbacks.SUPERVISION)
    if data.action != "iss":
        raise InvalidInput(callbacks.STALE_TEXT)
    order = await ctx.call(
        oversight.supervise, actor=ctx.actor, assignment_id=data.id(), rules=ctx.rules
    )
    await ctx.answer()
    await ctx.edit(_issued(ctx, order))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("overdue", overdue))
    app.add_handler(CommandHandler("supervise", supervise))
    app.add_handler(
        CallbackQueryHandler(issue_button, pattern=callbacks.pattern(callbacks.SUPERVISION))
    )
