"""Liaisons and department heads: /tasks, the assignment card and its commands."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.i18n import N_
from handlers.common import Ctx, button, handler
from handlers.prompts import ask as ask_prompt
from models.enums import Role
from scheduler.deadlines import time_left
from services import assignments, callbacks, cases, live, prompts
from services.errors import InvalidInput
from services.messages import assignment as assignment_messages
from services.messages import deadlines as deadline_messages
from services.messages.common import bold, pairs


@handler
async def tasks(ctx: Ctx) -> None:
    """The department's open assignments, nearest deadline first."""
    items = await ctx.call(assignments.tasks, actor=ctx.actor, limit=ctx.rules.limits.tasks_list)
    if not items:
        await ctx.reply(ctx.tr("No open assignments for your department."))
        return
    lines = ["<b>" + ctx.tr("Open assignments: {count}", count=len(items)) + "</b>"]
    now, calendar = ctx.rules.now(), ctx.rules.calendar
    lines += [
        deadline_messages.task_line(
            ctx.lang, a, time_left(calendar, now=now, due_at=a.due_at), zone=ctx.rules.zone
        )
        for a in items
    ]
    buttons = [
        [(a.number, callbacks.assignment("card", a.id))]  # type: ignore[arg-type]  # stored
        for a in items[: ctx.rules.limits.task_buttons]
    ]
    await ctx.reply("\n".join(lines), buttons=buttons)


async def _card(ctx: Ctx, assignment_id: int, *, edit: bool) -> None:
    card, mine = await ctx.call(
        assignments.card, actor=ctx.actor, assignment_id=assignment_id, rules=ctx.rules
    )
    text = assignment_messages.card_text(ctx.lang, card, zone=ctx.rules.zone)
    buttons = assignment_messages.liaison_buttons(ctx.lang, card.assignment) if mine else None
    rows = pairs(buttons)
    if edit:
        shown = await ctx.edit(text, buttons=rows)
    else:
        shown = await ctx.reply(text, buttons=rows)
    await ctx.remember(live.card_key(assignment_id), shown)


@handler
async def assignment_button(ctx: Ctx) -> None:
    """The assignment card's buttons: open, sign for, return, ask, progress, complete."""
    data = button(ctx, callbacks.ASSIGNMENT)
    action, assignment_id = data.action, data.id()
    if action == "card":
        await _card(ctx, assignment_id, edit=False)  # refused (as an alert) before answering
        await ctx.answer()
    elif action == "ack":
        await ctx.call(
            assignments.acknowledge, actor=ctx.actor, assignment_id=assignment_id, rules=ctx.rules
        )
        await ctx.answer(ctx.tr("Signed for"))
        await _card(ctx, assignment_id, edit=True)
    elif action in prompts.BY_BUTTON:
        await ask_prompt(ctx, prompts.BY_BUTTON[action], assignment_id)
    else:
        raise InvalidInput(callbacks.STALE_TEXT)


def _number_and_text(ctx: Ctx, usage: str, *, need_text: bool) -> tuple[str, str]:
    parts = ctx.text.split(maxsplit=2)
    if len(parts) < 2 or (need_text and len(parts) < 3):
        raise InvalidInput(usage)
    return parts[1], parts[2] if len(parts) > 2 else ""


@handler
async def ack_command(ctx: Ctx) -> None:
    """/ack <assignment>."""
    number, _ = _number_and_text(ctx, N_("Usage: /ack <assignment number>"), need_text=False)
    assignment = await ctx.call(
        assignments.acknowledge, actor=ctx.actor, assignment_number=number, rules=ctx.rules
    )
    await ctx.reply(
        "✍️ " + ctx.tr("Assignment {number} signed for.", number=bold(assignment.number))
    )


@handler
async def return_command(ctx: Ctx) -> None:
    """/return <assignment> <reason>."""
    number, reason = _number_and_text(
        ctx, N_("Usage: /return <assignment number> <reason>"), need_text=True
    )
    assignment = await ctx.call(
        assignments.return_assignment,
        actor=ctx.actor,
        assignment_number=number,
        reason=reason,
        rules=ctx.rules,
    )
    await ctx.reply(
        "✅ "
        + ctx.tr(
            "Assignment {number} was returned to the dispatcher.",
            number=bold(assignment.number),
        )
    )


@handler
async def ask_command(ctx: Ctx) -> None:
    """/ask <assignment or case> <question> (liaisons: assignments; office: cases)."""
    number, question = _number_and_text(ctx, N_("Usage: /ask <number> <question>"), need_text=True)
    if ctx.actor.has(Role.LIAISON) and number.count("-") >= 2:
        await ctx.call(
            cases.ask_enterprise,
            actor=ctx.actor,
            assignment_number=number,
            question=question,
            rules=ctx.rules,
        )
    else:
        await ctx.call(
            cases.ask_enterprise,
            actor=ctx.actor,
            case_number=number,
            question=question,
            rules=ctx.rules,
        )
    await ctx.reply("✅ " + ctx.tr("Your question was sent to the enterprise."))


@handler
async def progress_command(ctx: Ctx) -> None:
    """/progress <assignment> <note>."""
    number, note = _number_and_text(
        ctx, N_("Usage: /progress <assignment number> <note>"), need_text=True
    )
    await ctx.call(
        assignments.add_progress,
        actor=ctx.actor,
        assignment_number=number,
        text=note,
        rules=ctx.rules,
    )
    await ctx.reply("✅ " + ctx.tr("Progress note saved."))


@handler
async def done_command(ctx: Ctx) -> None:
    """/done <assignment> <result>."""
    number, result = _number_and_text(
        ctx, N_("Usage: /done <assignment number> <result>"), need_text=True
    )
    assignment = await ctx.call(
        assignments.complete,
        actor=ctx.actor,
        assignment_number=number,
        result=result,
        rules=ctx.rules,
    )
    await ctx.reply(
        "✅ "
        + ctx.tr(
            "Assignment {number} is completed. The enterprise and the office have been told.",
            number=bold(assignment.number),
        )
    )


def register(app: Application) -> None:
    app.add_handler(CommandHandler("tasks", tasks))
    app.add_handler(CommandHandler("ack", ack_command))
    app.add_handler(CommandHandler("return", return_command))
    app.add_handler(CommandHandler("ask", ask_command))
    app.add_handler(CommandHandler("progress", progress_command))
    app.add_handler(CommandHandler("done", done_command))
    app.add_handler(
        CallbackQueryHandler(assignment_button, pattern=callbacks.pattern(callbacks.ASSIGNMENT))
    )
