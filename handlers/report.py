"""Enterprise contacts: /report, /cases, /case, /confirm, and the confirmation buttons."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.textsplit import escape, shorten
from handlers.common import Ctx, button, handler
from handlers.conversation import flow
from handlers.prompts import ask as ask_prompt
from models import Draft
from models.enums import Category, Satisfaction
from services import callbacks, cases, confirmation, report
from services.errors import InvalidInput
from services.messages.case import case_text
from services.messages.common import bold, category_name
from services.messages.confirmation import satisfaction_name

CATEGORY_ORDER = (
    Category.PERMIT,
    Category.UTILITY,
    Category.LAND,
    Category.DISPUTE,
    Category.OTHER,
)


def _category_buttons(ctx: Ctx) -> list[list[tuple[str, str]]]:
    return [
        [(category_name(ctx.lang, c), callbacks.report("cat", c.value))] for c in CATEGORY_ORDER
    ]


@handler
async def report_command(ctx: Ctx) -> None:
    """Start the guided report, or file `/report <category> <description>` at once."""
    if ctx.args:
        if len(ctx.args) < 2:
            raise InvalidInput(
                "Usage: /report <category> <description>; categories: permit, utility, land, "
                "dispute, other. Or send /report alone for a guided form."
            )
        submitted = await ctx.call(
            cases.submit_case,
            actor=ctx.actor,
            category=ctx.args[0],
            description=ctx.text.split(maxsplit=2)[2]
            if len(ctx.text.split(maxsplit=2)) > 2
            else "",
            idempotency_key=ctx.message_key,
            rules=ctx.rules,
        )
        await _received(ctx, submitted)
        return
    await ctx.call(report.start, actor=ctx.actor, rules=ctx.rules)
    await ctx.reply(
        ctx.tr("New report. What kind of problem is it?") + "\n" + ctx.tr("(/cancel to stop)"),
        buttons=_category_buttons(ctx),
    )


async def _received(ctx: Ctx, submitted: cases.Submitted) -> None:
    case = submitted.case
    text = "✅ " + ctx.tr(
        "Your case {number} has been received. The park's efficiency office will assign it to "
        "the departments concerned; you will be told at every step.",
        number=bold(case.number),
    )
    text += "\n" + ctx.tr("Follow it with /case {number}.", number=escape(case.number))
    await ctx.reply(text)


@handler
async def report_button(ctx: Ctx) -> None:
    """The buttons of the report form: category, project, continue, submit, edit, cancel."""
    data = button(ctx, callbacks.REPORT)
    action = data.action
    if action == "cat":
        draft, projects = await ctx.call(
            report.choose_category, actor=ctx.actor, category=data.word(), rules=ctx.rules
        )
        await ctx.answer()
        if draft.step == "project":
            buttons = [[(shorten(p.name, 40), callbacks.report("prj", p.id))] for p in projects]
            buttons.append([(ctx.tr("No particular project"), callbacks.report("prj", 0))])
            await ctx.edit(ctx.tr("Which project is it about?"), buttons=buttons)
        else:
            await _next_question(ctx, draft)
    elif action == "prj":
        draft = await ctx.call(
            report.choose_project, actor=ctx.actor, project_id=data.id(), rules=ctx.rules
        )
        await ctx.answer()
        await _next_question(ctx, draft)
    elif action in ("next", "sum"):
        await ctx.call(report.to_summary, actor=ctx.actor, rules=ctx.rules)
        await ctx.answer()
        await _summary(ctx, edit=True)
    elif action == "sub":
        submitted = await ctx.call(report.submit, actor=ctx.actor, rules=ctx.rules)
        await ctx.answer(ctx.tr("Submitted"))
        await ctx.edit(
            ctx.tr(
                "Report submitted as case {number}.",
                number=bold(submitted.case.number),
            )
        )
        await _received(ctx, submitted)
    elif action == "edit":
        await ctx.answer()
        await ctx.edit(
            ctx.tr("What do you want to change?"),
            buttons=[
                [(ctx.tr("Category and project"), callbacks.report("ed", "cat"))],
                [(ctx.tr("Description"), callbacks.report("ed", "desc"))],
                [(ctx.tr("Attachments (start over)"), callbacks.report("ed", "att"))],
            ],
        )
    elif action == "ed":
        draft = await ctx.call(report.edit, actor=ctx.actor, part=data.word(), rules=ctx.rules)
        await ctx.answer()
        if draft.step == "category":
            await ctx.edit(ctx.tr("What kind of problem is it?"), buttons=_category_buttons(ctx))
        else:
            await _next_question(ctx, draft)
    elif action == "cancel":
        await ctx.call(report.cancel, actor=ctx.actor)
        await ctx.answer()
        await ctx.edit(ctx.tr("Cancelled. Nothing was submitted."))
    else:
        raise InvalidInput(callbacks.STALE_TEXT)


async def _described(ctx: Ctx, draft: Draft, *, added: bool) -> None:
    """After each part of the description: its length so far, and how to go on."""
    length = len(draft.data.get("description", ""))
    if added:
        text = ctx.tr(
            "Added to the description ({length} characters in all). Send more, add photos or "
            "documents, or continue.",
            length=length,
        )
    else:
        text = (
            ctx.tr("Description saved ({length} characters).", length=length)
            + "\n"
            + ctx.tr("Add photos or documents if they help (send them now), or continue.")
            + "\n"
            + ctx.tr(
                "If the description goes on, send the rest now: every message you type before "
                "Continue is added to it (up to {limit} characters in all).",
                limit=cases.MAX_DESCRIPTION,
            )
        )
    await ctx.reply(text, buttons=[[(ctx.tr("Continue"), callbacks.report("next"))]])


async def _next_question(ctx: Ctx, draft: Draft) -> None:
    if draft.step == "description":
        await ctx.edit(
            ctx.tr(
                "Describe the problem in your own words: what is needed, by when, "
                "and what is blocking it."
            )
            + "\n"
            + ctx.tr("A long description may come in several messages.")
        )
    elif draft.step == "attachments":
        await ctx.reply(
            ctx.tr("Add photos or documents if they help (send them now), or continue."),
            buttons=[[(ctx.tr("Continue"), callbacks.report("next"))]],
        )
    else:
        await _summary(ctx, edit=ctx.update.callback_query is not None)


async def _summary(ctx: Ctx, *, edit: bool) -> None:
    data = await ctx.call(report.current_summary, actor=ctx.actor, rules=ctx.rules)
    lines = [
        "<b>" + ctx.tr("Please check your report") + "</b>",
        ctx.tr("Category: {category}", category=category_name(ctx.lang, data["category"])),
    ]
    if data.get("project_name"):
        lines.append(ctx.tr("Project: {name}", name=escape(data["project_name"])))
    lines.append(ctx.tr("Description:") + "\n" + escape(shorten(data["description"], 3000)))
    lines.append(ctx.tr("Attachments: {count}", count=len(data.get("attachments", []))))
    buttons = [
        [(ctx.tr("Submit"), callbacks.report("sub"))],
        [
            (ctx.tr("Edit"), callbacks.report("edit")),
            (ctx.tr("Cancel"), callbacks.report("cancel")),
        ],
    ]
    if edit:
        await ctx.edit("\n".join(lines), buttons=buttons)
    else:
        await ctx.reply("\n".join(lines), buttons=buttons)


@flow(report.KIND)
async def report_flow(ctx: Ctx, draft: Draft) -> None:
    """Text and files typed while the report form is open."""
    item = ctx.attachment()
    if item is not None:
        updated = await ctx.call(report.add_attachment, actor=ctx.actor, item=item, rules=ctx.rules)
        count = len(updated.data.get("attachments", []))
        await ctx.reply(
            ctx.tr("Attached ({count}). Send more, or continue.", count=count),
            buttons=[[(ctx.tr("Continue"), callbacks.report("next"))]],
        )
        return
    if draft.step in ("description", "attachments"):
        updated = await ctx.call(
            report.set_description, actor=ctx.actor, text=ctx.text, rules=ctx.rules
        )
        await _described(ctx, updated, added=draft.step == "attachments")
    elif draft.step == "category":
        await ctx.reply(
            ctx.tr("Please choose a category with the buttons."), buttons=_category_buttons(ctx)
        )
    elif draft.step == "project":
        await ctx.reply(ctx.tr("Please choose the project with the buttons above."))
    else:
        await ctx.reply(
            ctx.tr("Use the buttons: Continue, Submit, Edit or Cancel."),
            buttons=[[(ctx.tr("Continue"), callbacks.report("sum"))]],
        )


@handler
async def my_cases(ctx: Ctx) -> None:
    """The contact's cases with status and deadlines."""
    views = await ctx.call(cases.my_cases, actor=ctx.actor, limit=ctx.rules.limits.cases_list)
    if not views:
        await ctx.reply(ctx.tr("You have no cases yet. Send /report to report a problem."))
        return
    blocks = [case_text(ctx.lang, view, timeline=False, zone=ctx.rules.zone) for view in views]
    await ctx.reply(("\n\n").join(blocks))


@handler
async def case(ctx: Ctx) -> None:
    """One case with its timeline: /case <number>."""
    if not ctx.args:
        raise InvalidInput("Usage: /case <number>, for example /case 2026-0001")
    view = await ctx.call(cases.case_view, actor=ctx.actor, number=ctx.args[0])
    await ctx.reply(case_text(ctx.lang, view, timeline=True, zone=ctx.rules.zone))


@handler
async def confirm_command(ctx: Ctx) -> None:
    """/confirm <case> satisfied|mostly|unsatisfied [text]."""
    if len(ctx.args) < 2:
        raise InvalidInput("Usage: /confirm <case> satisfied|mostly|unsatisfied [what is wrong]")
    choice = confirmation.parse_satisfaction(ctx.args[1])
    parts = ctx.text.split(maxsplit=3)
    note = parts[3] if len(parts) > 3 else ""
    case_obj = await ctx.call(
        confirmation.confirm,
        actor=ctx.actor,
        case_number=ctx.args[0],
        satisfaction=choice,
        note=note,
        rules=ctx.rules,
    )
    await ctx.reply(_confirmed_text(ctx, case_obj.number, choice))


def _confirmed_text(ctx: Ctx, number: str, choice: Satisfaction) -> str:
    if choice == Satisfaction.UNSATISFIED:
        return ctx.tr(
            "Thank you. Case {number} has been reopened and sent back to the departments.",
            number=bold(number),
        )
    label = satisfaction_name(ctx.lang, choice)
    return ctx.tr(
        "Thank you. Case {number} is closed ({satisfaction}).",
        number=bold(number),
        satisfaction=label,
    )


@handler
async def confirm_button(ctx: Ctx) -> None:
    """Satisfied, mostly satisfied, not satisfied: the confirmation buttons."""
    data = button(ctx, callbacks.CONFIRM)
    case_id = data.id()
    choice = confirmation.parse_satisfaction(data.action)
    if choice == Satisfaction.UNSATISFIED:
        await ask_prompt(ctx, "unsat", case_id)
        return
    await ctx.call(
        confirmation.confirm,
        actor=ctx.actor,
        case_id=case_id,
        satisfaction=choice,
        rules=ctx.rules,
    )
    # The question itself is edited to its answered state by the live refresh the service
    # queued, so that message has one writer and always ends in the same text.
    await ctx.answer(ctx.tr("Thank you"))


@handler
async def reply_button(ctx: Ctx) -> None:
    """Reply: answer a question from a liaison or the office."""
    await ask_prompt(ctx, "answer", button(ctx, callbacks.QUESTION).id())


def register(app: Application) -> None:
    app.add_handler(CommandHandler("report", report_command))
    app.add_handler(CommandHandler("cases", my_cases))
    app.add_handler(CommandHandler("case", case))
    app.add_handler(CommandHandler("confirm", confirm_command))
    app.add_handler(
        CallbackQueryHandler(report_button, pattern=callbacks.pattern(callbacks.REPORT))
    )
    app.add_handler(
        CallbackQueryHandler(confirm_button, pattern=callbacks.pattern(callbacks.CONFIRM))
    )
    app.add_handler(
        CallbackQueryHandler(reply_button, pattern=callbacks.pattern(callbacks.QUESTION))
    )
