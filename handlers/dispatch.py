"""Park officers and dispatchers: /queue, /dispatch, and the case buttons."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.textsplit import escape
from handlers.common import Ctx, button, handler
from handlers.conversation import flow
from handlers.views import queue_text
from models import Assignment, Draft
from services import callbacks, notify, prompts
from services.dispatch import form as dispatch_form
from services.dispatch import orders
from services.errors import InvalidInput


@handler
async def queue(ctx: Ctx) -> None:
    """Cases waiting for dispatch, and returned assignments waiting for re-dispatch."""
    items = await ctx.call(orders.queue, actor=ctx.actor)
    if not items:
        await ctx.reply(ctx.tr("Nothing is waiting for dispatch."))
        return
    await ctx.reply(f"<b>{ctx.tr('Waiting for dispatch: {count}', count=len(items))}</b>")
    for item in items:
        case_id = item.case.id
        await ctx.reply(
            queue_text(ctx, item),
            buttons=[
                [(ctx.tr("Dispatch"), callbacks.case("dsp", case_id))],
                [
                    (ctx.tr("Ask the enterprise"), callbacks.case("ask", case_id)),
                    (ctx.tr("Decline"), callbacks.case("dec", case_id)),
                ],
            ],
        )


def _form_text(ctx: Ctx, form: dispatch_form.Form) -> str:
    case = form.options.case
    lines = [
        ctx.tr("Dispatch case {number}", number=f"<b>{escape(case.number)}</b>"),
        ctx.tr("Category: {category}", category=notify.category_name(ctx.lang, case.category)),
        escape(case.description[:300]),
        "",
        ctx.tr("Choose the departments (tap to select or deselect), then the deadline."),
        ctx.tr("Deadline: {due}", due=notify.local_time(form.due_at))
        + ("" if form.custom_due else " " + ctx.tr("(the category's default)")),
    ]
    if form.options.already:
        lines.append(ctx.tr("Already assigned: {codes}", codes=", ".join(form.options.already)))
    return "\n".join(lines)


def _form_buttons(ctx: Ctx, form: dispatch_form.Form) -> list[list[tuple[str, str]]]:
    case_id = form.options.case.id
    selectable = [d for d in form.options.departments if d.code not in form.options.already]
    cells = [
        (
            ("✅ " if d.code in form.selected else "▫️ ") + notify.dept_name(ctx.lang, d),
            callbacks.dispatch("t", case_id, d.id),
        )
        for d in selectable
    ]
    rows = [cells[i : i + 2] for i in range(0, len(cells), 2)]
    rows.append(
        [
            (ctx.tr("Default deadline"), callbacks.dispatch("due", case_id, 0)),
            (ctx.tr("Type a deadline"), callbacks.dispatch("due", case_id, 1)),
        ]
    )
    rows.append(
        [
            (
                ctx.tr("Issue assignment orders ({count})", count=len(form.selected)),
                callbacks.dispatch("go", case_id),
            ),
            (ctx.tr("Cancel"), callbacks.dispatch("x", case_id)),
        ]
    )
    return rows


@handler
async def case_button(ctx: Ctx) -> None:
    """Dispatch, ask, decline: the buttons on a new-case announcement and in /queue."""
    data = button(ctx, callbacks.CASE)
    action, case_id = data.action, data.id()
    if action == "dsp":
        form = await ctx.call(
            dispatch_form.open_form,
            actor=ctx.actor,
            case_id=case_id,
            calendar=ctx.deps.calendar,
            sla=ctx.sla,
            ttl=ctx.ttl,
        )
        await ctx.answer()
        await ctx.reply(_form_text(ctx, form), buttons=_form_buttons(ctx, form))
    elif action in ("ask", "dec"):
        prompt = "ask_c" if action == "ask" else "decline"
        case = await ctx.call(
            prompts.ask, actor=ctx.actor, action=prompt, target=case_id, ttl=ctx.ttl
        )
        await ctx.answer()
        if prompt == "ask_c":
            text = ctx.tr(
                "Write your question to the enterprise about case {number}.",
                number=f"<b>{escape(case.number)}</b>",
            )
        else:
            text = ctx.tr(
                "Why is case {number} declined? The enterprise will read your reason.",
                number=f"<b>{escape(case.number)}</b>",
            )
        await ctx.reply(text + "\n" + ctx.tr("(/cancel to stop)"))
    else:
        raise InvalidInput(callbacks.STALE_TEXT)


@handler
async def dispatch_button(ctx: Ctx) -> None:
    """The dispatch form's buttons: toggle a department, deadline, issue, cancel."""
    data = button(ctx, callbacks.DISPATCH)
    action, case_id = data.action, data.id()
    value = data.id(1) if len(data.args) > 1 else 0
    common = {"actor": ctx.actor, "calendar": ctx.deps.calendar, "sla": ctx.sla}
    if action == "t":
        form = await ctx.call(
            dispatch_form.toggle, case_id=case_id, department_id=value, ttl=ctx.ttl, **common
        )
        await ctx.answer()
        await ctx.edit(_form_text(ctx, form), buttons=_form_buttons(ctx, form))
    elif action == "due" and value == 0:
        form = await ctx.call(
            dispatch_form.set_deadline, text=None, ttl=ctx.ttl, case_id=case_id, **common
        )
        await ctx.answer()
        await ctx.edit(_form_text(ctx, form), buttons=_form_buttons(ctx, form))
    elif action == "due":
        await ctx.call(dispatch_form.ask_deadline, actor=ctx.actor, case_id=case_id, ttl=ctx.ttl)
        await ctx.answer()
        await ctx.reply(
            ctx.tr(
                "Type the deadline: working days (5wd or 5个工作日), calendar days "
                "(3d), or a date (2026-12-15 or 12月15日)."
            )
        )
    elif action == "go":
        issued = await ctx.call(dispatch_form.issue, case_id=case_id, **common)
        await ctx.answer(ctx.tr("Issued"))
        await ctx.edit(_issued_text(ctx, issued))
    elif action == "x":
        await ctx.call(dispatch_form.close, actor=ctx.actor, case_id=case_id)
        await ctx.answer()
        await ctx.edit(ctx.tr("Dispatch cancelled. Nothing was issued."))
    else:
        raise InvalidInput(callbacks.STALE_TEXT)


def _issued_text(ctx: Ctx, issued: list[Assignment]) -> str:
    lines = ["📨 " + ctx.tr("Assignment orders issued:")]
    lines += [escape(a.number) for a in issued]
    lines.append(ctx.tr("Deadline: {due}", due=notify.local_time(issued[0].due_at)))
    return "\n".join(lines)


@flow(dispatch_form.KIND)
async def dispatch_flow(ctx: Ctx, draft: Draft) -> None:
    """A deadline typed for the open dispatch form."""
    if draft.step != "deadline":
        await ctx.reply(ctx.tr("Use the buttons of the dispatch form, or /cancel."))
        return
    form = await ctx.call(
        dispatch_form.set_deadline,
        actor=ctx.actor,
        text=ctx.text,
        calendar=ctx.deps.calendar,
        sla=ctx.sla,
        ttl=ctx.ttl,
    )
    await ctx.reply(_form_text(ctx, form), buttons=_form_buttons(ctx, form))


@handler
async def dispatch_command(ctx: Ctx) -> None:
    """/dispatch <case> <dept>[,<dept>...] [deadline]."""
    if len(ctx.args) < 2:
        raise InvalidInput(
            "Usage: /dispatch <case> <dept>[,<dept>...] [deadline], "
            "for example /dispatch 2026-0001 drc,epb 5wd"
        )
    codes = [c for c in ctx.args[1].replace("，", ",").split(",") if c]
    deadline = " ".join(ctx.args[2:]) or None
    issued = await ctx.call(
        dispatch_form.dispatch_now,
        actor=ctx.actor,
        case_number=ctx.args[0],
        department_codes=codes,
        deadline=deadline,
        calendar=ctx.deps.calendar,
        sla=ctx.sla,
    )
    await ctx.reply(_issued_text(ctx, issued))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("queue", queue))
    app.add_handler(CommandHandler("dispatch", dispatch_command))
    app.add_handler(CallbackQueryHandler(case_button, pattern=callbacks.pattern(callbacks.CASE)))
    app.add_handler(
        CallbackQueryHandler(dispatch_button, pattern=callbacks.pattern(callbacks.DISPATCH))
    )
