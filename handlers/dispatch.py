"""Park officers and dispatchers: /queue, /dispatch, and the case buttons."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from handlers.common import Ctx, button, handler
from handlers.conversation import flow
from handlers.prompts import ask as ask_prompt
from models import Draft
from services import callbacks, live
from services.dispatch import form as dispatch_form
from services.dispatch import orders
from services.errors import InvalidInput
from services.messages import case as case_messages
from services.messages import dispatch as dispatch_messages
from services.messages.common import pairs


@handler
async def queue(ctx: Ctx) -> None:
    """Cases waiting for dispatch, and returned assignments waiting for re-dispatch."""
    items = await ctx.call(orders.queue, actor=ctx.actor, limit=ctx.rules.limits.queue_list)
    if not items:
        await ctx.reply(ctx.tr("Nothing is waiting for dispatch."))
        return
    await ctx.reply("<b>" + ctx.tr("Waiting for dispatch: {count}", count=len(items)) + "</b>")
    for item in items:
        assert item.case.id is not None
        buttons = case_messages.office_buttons(ctx.lang, item.case.id)
        await ctx.reply(case_messages.queue_text(ctx.lang, item), buttons=pairs(buttons))


def _form(ctx: Ctx, form: dispatch_form.Form) -> tuple[str, list[list[tuple[str, str]]]]:
    """The dispatch form's text and keyboard in the dispatcher's language."""
    rows = dispatch_messages.form_buttons(ctx.lang, form)
    return dispatch_messages.form_text(ctx.lang, form, zone=ctx.rules.zone), pairs(rows)


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
            rules=ctx.rules,
        )
        await ctx.answer()
        text, rows = _form(ctx, form)
        await ctx.remember(live.form_key(case_id), await ctx.reply(text, buttons=rows))
    elif action in ("ask", "dec"):
        await ask_prompt(ctx, "ask_c" if action == "ask" else "decline", case_id)
    else:
        raise InvalidInput(callbacks.STALE_TEXT)


@handler
async def dispatch_button(ctx: Ctx) -> None:
    """The dispatch form's buttons: toggle a department, deadline, issue, cancel."""
    data = button(ctx, callbacks.DISPATCH)
    action, case_id = data.action, data.id()
    value = data.id(1) if len(data.args) > 1 else 0
    actor, rules = ctx.actor, ctx.rules
    if action == "t":
        form = await ctx.call(
            dispatch_form.toggle, case_id=case_id, department_id=value, actor=actor, rules=rules
        )
        await ctx.answer()
        text, rows = _form(ctx, form)
        await ctx.edit(text, buttons=rows)
    elif action == "due" and value == 0:
        form = await ctx.call(
            dispatch_form.set_deadline, text=None, case_id=case_id, actor=actor, rules=rules
        )
        await ctx.answer()
        text, rows = _form(ctx, form)
        await ctx.edit(text, buttons=rows)
    elif action == "due":
        await ctx.call(
            dispatch_form.ask_deadline, actor=ctx.actor, case_id=case_id, rules=ctx.rules
        )
        await ctx.answer()
        await ctx.reply(
            ctx.tr(
                "Type the deadline: working days (5wd or 5个工作日), calendar days "
                "(3d), or a date (2026-12-15 or 12月15日)."
            )
        )
    elif action == "go":
        issued = await ctx.call(dispatch_form.issue, case_id=case_id, actor=actor, rules=rules)
        await ctx.answer(ctx.tr("Issued"))
        await ctx.edit(dispatch_messages.issued_text(ctx.lang, issued, zone=ctx.rules.zone))
    elif action == "x":
        await ctx.call(dispatch_form.close, actor=ctx.actor, case_id=case_id, rules=ctx.rules)
        await ctx.answer()
        await ctx.edit(ctx.tr("Dispatch cancelled. Nothing was issued."))
    else:
        raise InvalidInput(callbacks.STALE_TEXT)


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
        rules=ctx.rules,
    )
    text, rows = _form(ctx, form)
    shown = await ctx.reply(text, buttons=rows)
    await ctx.remember(live.form_key(form.options.case.id), shown)  # type: ignore[arg-type]


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
        rules=ctx.rules,
    )
    await ctx.reply(dispatch_messages.issued_text(ctx.lang, issued, zone=ctx.rules.zone))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("queue", queue))
    app.add_handler(CommandHandler("dispatch", dispatch_command))
    app.add_handler(CallbackQueryHandler(case_button, pattern=callbacks.pattern(callbacks.CASE)))
    app.add_handler(
        CallbackQueryHandler(dispatch_button, pattern=callbacks.pattern(callbacks.DISPATCH))
    )
