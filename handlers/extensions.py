"""Extensions and pauses: the office's Approve / Deny buttons, /extend and /pause."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.i18n import N_
from handlers.common import Ctx, button, handler
from handlers.prompts import ask as ask_prompt
from models import Case
from services import callbacks, extensions
from services.errors import InvalidInput
from services.messages import extensions as messages
from services.messages.common import bold


@handler
async def decision_button(ctx: Ctx) -> None:
    """Approve (at once) or Deny (asks the reason) an extension request."""
    data = button(ctx, callbacks.EXTENSION)
    change_id = data.id()
    if data.action == "ok":
        assignment = await ctx.call(
            extensions.approve, actor=ctx.actor, change_id=change_id, rules=ctx.rules
        )
        case = await ctx.deps.db.run(lambda s: s.get(Case, assignment.case_id))
        await ctx.answer(ctx.tr("Approved"))
        text, _ = messages.approved(
            ctx.lang,
            number=assignment.number,
            case_number=case.number if case else "?",
            new_due=assignment.due_at,
            zone=ctx.rules.zone,
        )
        await ctx.edit(text)
    elif data.action == "no":
        await ask_prompt(ctx, "deny_ext", change_id)
    else:
        raise InvalidInput(callbacks.STALE_TEXT)


@handler
async def extend_command(ctx: Ctx) -> None:
    """/extend <assignment> <new deadline> <reason>."""
    parts = ctx.text.split(maxsplit=3)
    if len(parts) < 4:
        raise InvalidInput(N_("Usage: /extend <assignment number> <new deadline> <reason>"))
    change = await ctx.call(
        extensions.request_extension,
        actor=ctx.actor,
        assignment_number=parts[1],
        requested=parts[2],
        reason=parts[3],
        rules=ctx.rules,
    )
    await ctx.reply(
        "✅ "
        + ctx.tr(
            "Your extension request for {number} was sent to the dispatchers.",
            number=bold(parts[1]),
        )
        + "\n"
        + ctx.tr(
            "Requested deadline: {due}",
            due=messages.local_time(change.new_due_at, zone=ctx.rules.zone),
        )
    )


@handler
async def pause_command(ctx: Ctx) -> None:
    """/pause <assignment> <what the enterprise must send>."""
    parts = ctx.text.split(maxsplit=2)
    if len(parts) < 3:
        raise InvalidInput(N_("Usage: /pause <assignment number> <reason>"))
    assignment = await ctx.call(
        extensions.pause,
        actor=ctx.actor,
        assignment_number=parts[1],
        reason=parts[2],
        rules=ctx.rules,
    )
    await ctx.reply(
        "✅ "
        + ctx.tr(
            "The clock of {number} is paused; the enterprise has been asked.",
            number=bold(assignment.number),
        )
    )


def register(app: Application) -> None:
    app.add_handler(CommandHandler("extend", extend_command))
    app.add_handler(CommandHandler("pause", pause_command))
    app.add_handler(
        CallbackQueryHandler(decision_button, pattern=callbacks.pattern(callbacks.EXTENSION))
    )
