"""The answer typed after a button asked for a text (reason, result, question, answer)."""

from __future__ import annotations

from telegram.ext import Application

from bot.i18n import N_
from bot.textsplit import escape
from handlers.common import Ctx
from handlers.conversation import flow
from models import Draft
from services import prompts

DONE_TEXTS = {
    "return": N_("Assignment {number} was returned to the dispatcher."),
    "progress": N_("Progress note saved."),
    "done": N_("Assignment {number} is completed. The enterprise and the office have been told."),
    "ask_a": N_("Your question was sent to the enterprise."),
    "ask_c": N_("Your question was sent to the enterprise."),
    "decline": N_("Case {number} was declined; the enterprise has been told why."),
    "answer": N_("Your answer was sent."),
    "unsat": N_("Thank you. Case {number} has been reopened and sent back to the departments."),
}


@flow(prompts.KIND)
async def prompt_flow(ctx: Ctx, draft: Draft) -> None:
    """Run the pending action with the typed text; files are kept for a completion."""
    item = ctx.attachment()
    if item is not None and not ctx.text:
        count = await ctx.call(prompts.add_attachment, actor=ctx.actor, item=item, rules=ctx.rules)
        await ctx.reply(ctx.tr("Attached ({count}). Now send the result as text.", count=count))
        return
    if item is not None:
        await ctx.call(prompts.add_attachment, actor=ctx.actor, item=item, rules=ctx.rules)
    action, result = await ctx.call(
        prompts.answer,
        actor=ctx.actor,
        text=ctx.text,
        rules=ctx.rules,
        idempotency_key=ctx.message_key,
    )
    number = getattr(result, "number", "")
    await ctx.reply("✅ " + ctx.tr(DONE_TEXTS[action], number=f"<b>{escape(number)}</b>"))


def register(app: Application) -> None:
    """Nothing to register: the flow is reached through handlers.conversation."""
