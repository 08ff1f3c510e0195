"""The answer typed after a button asked for a text (reason, result, question, answer)."""

from __future__ import annotations

from telegram.ext import Application

from bot.textsplit import escape, shorten
from handlers.common import Ctx
from handlers.conversation import flow
from models import Draft
from services import prompts
from services.messages.common import bold


async def ask(ctx: Ctx, action: str, target: int) -> None:
    """A button asked for a text: check the action is possible, then ask its question."""
    entry = prompts.ACTIONS[action]
    record = await ctx.call(
        prompts.ask, actor=ctx.actor, action=action, target=target, rules=ctx.rules
    )
    await ctx.answer()
    text = ctx.tr(
        entry.question,
        number=bold(getattr(record, "number", "")),
        question=escape(shorten(getattr(record, "text", ""), 300)),
    )
    if entry.cancel_line:
        text += "\n" + ctx.tr("(/cancel to stop)")
    await ctx.reply(text)


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
    done = prompts.ACTIONS[action].done
    await ctx.reply("✅ " + ctx.tr(done, number=bold(number)))


def register(app: Application) -> None:
    """Nothing to register: the flow is reached through handlers.conversation."""
