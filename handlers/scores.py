"""The assessment: /scoreboard, and a supervisor's /deduct and /revoke_deduction."""

from __future__ import annotations

from telegram.ext import Application, CommandHandler

from bot.i18n import N_
from handlers.common import Ctx, handler
from services import deductions, periods, scores
from services.errors import InvalidInput
from services.messages import scores as messages
from services.messages.common import bold, name_of

DEDUCT_USAGE = N_("Usage: /deduct <department code> <points> <reason>")
REVOKE_USAGE = N_("Usage: /revoke_deduction <deduction number> <reason>")


@handler
async def scoreboard(ctx: Ctx) -> None:
    """/scoreboard [period]: the current half-year unless a half-year or year is named."""
    if ctx.args:
        period = periods.parse(" ".join(ctx.args))
    else:
        today = ctx.rules.calendar.local(ctx.rules.now()).date()
        period = periods.current(periods.PeriodKind.HALF, today)
    board = await ctx.call(scores.scoreboard, actor=ctx.actor, period=period, rules=ctx.rules)
    await ctx.reply(messages.board_text(ctx.lang, board))


@handler
async def deduct(ctx: Ctx) -> None:
    """/deduct <department code> <points> <reason>."""
    parts = ctx.text.split(maxsplit=3)
    if len(parts) < 4:
        raise InvalidInput(DEDUCT_USAGE)
    row, dept = await ctx.call(
        deductions.deduct,
        actor=ctx.actor,
        department_code=parts[1],
        points=deductions.parse_points(parts[2]),
        reason=parts[3],
        rules=ctx.rules,
        key=ctx.message_key,
    )
    await ctx.reply(
        "➖ "
        + ctx.tr(
            "Deduction #{id}: {points} points from {department}; its liaison and head are told.",
            id=row.id,
            points=messages.points(row.points),
            department=bold(name_of(ctx.lang, dept)),
        )
    )


@handler
async def revoke(ctx: Ctx) -> None:
    """/revoke_deduction <deduction number> <reason>."""
    parts = ctx.text.split(maxsplit=2)
    if len(parts) < 3 or not parts[1].lstrip("#").isdigit():
        raise InvalidInput(REVOKE_USAGE)
    row = await ctx.call(
        deductions.revoke,
        actor=ctx.actor,
        deduction_id=int(parts[1].lstrip("#")),
        reason=parts[2],
        rules=ctx.rules,
    )
    await ctx.reply("↩️ " + ctx.tr("Deduction #{id} revoked; it no longer counts.", id=row.id))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("scoreboard", scoreboard))
    app.add_handler(CommandHandler("deduct", deduct))
    app.add_handler(CommandHandler("revoke_deduction", revoke))
