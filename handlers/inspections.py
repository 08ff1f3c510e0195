"""Inspection filings and notices: /inspect, /inspected, /notice and the supervisors' buttons."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.i18n import N_
from bot.textsplit import escape, shorten
from handlers.common import Ctx, button, handler
from handlers.conversation import flow
from handlers.prompts import ask as ask_prompt
from models import Department, Draft, Inspection
from services import callbacks, inspection_form, inspections, notices
from services.errors import InvalidInput
from services.messages import notices as notice_messages
from services.messages.common import bold, name_of, pairs

CANCEL = N_("(/cancel to stop)")
QUESTIONS = {
    "enterprise": N_("Which enterprise will be inspected? Write its credit code or name."),
    "date": N_("On which date? e.g. 2026-12-03, today or tomorrow."),
    "purpose": N_("What is the purpose of the inspection?"),
    "inspectors": N_("Who are the inspectors? Write their names."),
}


@handler
async def inspect_command(ctx: Ctx) -> None:
    """File a planned inspection: one line, or /inspect alone for the guided form."""
    rest = ctx.text.split(maxsplit=1)[1] if len(ctx.text.split(maxsplit=1)) > 1 else ""
    if rest.strip():
        line = inspections.split_filing(rest, rules=ctx.rules)
        filed = await ctx.call(
            inspections.file_inspection,
            actor=ctx.actor,
            enterprise=line.enterprise,
            day=line.day,
            purpose=line.purpose,
            inspectors=line.inspectors,
            rules=ctx.rules,
        )
        await _filed(ctx, filed)
        return
    await ctx.call(inspection_form.start_filing, actor=ctx.actor, rules=ctx.rules)
    await ctx.reply(
        ctx.tr("New inspection filing.")
        + "\n"
        + ctx.tr(QUESTIONS["enterprise"])
        + "\n"
        + ctx.tr(CANCEL)
    )


async def _filed(ctx: Ctx, filed: Inspection) -> None:
    facts = await ctx.call(inspections.facts_of, filed)
    await ctx.reply(
        "✅ "
        + ctx.tr(
            "Inspection {number} of {enterprise} on {date} is filed; the enterprise has been told.",
            number=bold(facts.number),
            enterprise=escape(facts.enterprise),
            date=bold(facts.on.isoformat()),
        )
    )


@flow(inspection_form.FILING)
async def filing_flow(ctx: Ctx, draft: Draft) -> None:
    """Each typed answer of the guided filing."""
    result = await ctx.call(
        inspection_form.filing_answer, actor=ctx.actor, text=ctx.text, rules=ctx.rules
    )
    if result.filed is not None:
        await _filed(ctx, result.filed)
    elif result.step is not None:
        await ctx.reply(ctx.tr(QUESTIONS[result.step]))


def _department_buttons(ctx: Ctx, depts: list[Department]) -> list[list[tuple[str, str]]]:
    labels = [
        (shorten(name_of(ctx.lang, d), 40), callbacks.inspection("dep", d.id))
        for d in depts
        if d.id is not None
    ]
    return [labels[i : i + 2] for i in range(0, len(labels), 2)]


def _day_buttons(ctx: Ctx) -> list[list[tuple[str, str]]]:
    return [
        [
            (ctx.tr("Today"), callbacks.inspection("day", 0)),
            (ctx.tr("Yesterday"), callbacks.inspection("day", 1)),
        ]
    ]


@handler
async def inspected_command(ctx: Ctx) -> None:
    """Report an inspection that took place: /inspected <department> <date>, or the form."""
    if ctx.args:
        if len(ctx.args) < 2:
            raise InvalidInput(
                "Usage: /inspected <department code or name> <date>, e.g. /inspected qts "
                "2026-12-03. Or send /inspected alone to choose with buttons."
            )
        day = inspections.happened_day(ctx.args[-1], rules=ctx.rules)
        reported = await ctx.call(
            inspections.report_inspection,
            actor=ctx.actor,
            department=" ".join(ctx.args[:-1]),
            day=day,
            rules=ctx.rules,
        )
        await _reported(ctx, reported)
        return
    depts = await ctx.call(inspection_form.start_report, actor=ctx.actor, rules=ctx.rules)
    await ctx.reply(
        ctx.tr("Which department inspected your enterprise?") + "\n" + ctx.tr(CANCEL),
        buttons=_department_buttons(ctx, depts),
    )


async def _reported(ctx: Ctx, reported: inspections.Reported) -> None:
    if reported.matched:
        text = ctx.tr("Thank you. This inspection was filed in advance, as it should be.")
    else:
        text = ctx.tr(
            "Thank you. No filing covers this inspection; the discipline commission's "
            "efficiency office will look into it."
        )
    await ctx.reply("✅ " + text)


async def _ask_day(ctx: Ctx, dept: Department) -> None:
    await ctx.reply(
        ctx.tr(
            "On which date did {department} inspect? Choose, or type it (e.g. 2026-12-03).",
            department=escape(name_of(ctx.lang, dept)),
        ),
        buttons=_day_buttons(ctx),
    )


@flow(inspection_form.REPORT)
async def report_flow(ctx: Ctx, draft: Draft) -> None:
    """A department or a date typed instead of pressed."""
    if draft.step == "department":
        dept = await ctx.call(
            inspection_form.report_department,
            actor=ctx.actor,
            department=ctx.text,
            rules=ctx.rules,
        )
        await _ask_day(ctx, dept)
        return
    reported = await ctx.call(
        inspection_form.report_day, actor=ctx.actor, day=ctx.text, rules=ctx.rules
    )
    await _reported(ctx, reported)


@handler
async def inspection_button(ctx: Ctx) -> None:
    """The form's department and day, the supervisors' Confirm unfiled and Dismiss."""
    data = button(ctx, callbacks.INSPECTION)
    if data.action == "dep":
        dept = await ctx.call(
            inspection_form.report_department,
            actor=ctx.actor,
            department=data.id(),
            rules=ctx.rules,
        )
        await ctx.answer()
        await _ask_day(ctx, dept)
    elif data.action == "day":
        reported = await ctx.call(
            inspection_form.report_day, actor=ctx.actor, day=data.id(), rules=ctx.rules
        )
        await ctx.answer()
        await _reported(ctx, reported)
    elif data.action == "ok":
        decision = await ctx.call(
            inspections.confirm_unfiled, actor=ctx.actor, inspection_id=data.id(), rules=ctx.rules
        )
        # The alert itself is edited by the refresh the service queued (one writer).
        if decision.already:
            await ctx.answer(ctx.tr("Already confirmed as unfiled."))
        else:
            await ctx.answer(ctx.tr("Confirmed as unfiled; the notice is on its way."))
    elif data.action == "no":
        await ask_prompt(ctx, "dismiss_insp", data.id())
    else:
        raise InvalidInput(callbacks.STALE_TEXT)


@handler
async def notice_command(ctx: Ctx) -> None:
    """/notice <whom> <text>: shown to the supervisor with its recipients, sent on "Send"."""
    rest = ctx.text.split(maxsplit=1)[1] if len(ctx.text.split(maxsplit=1)) > 1 else ""
    preview = await ctx.call(notices.prepare_notice, actor=ctx.actor, text=rest, rules=ctx.rules)
    text, buttons = notice_messages.notice_preview(ctx.lang, preview)
    await ctx.reply(text, buttons=pairs(buttons))


@handler
async def notice_button(ctx: Ctx) -> None:
    """Send or Cancel under a notice's preview; the preview then says which, without buttons."""
    data = button(ctx, callbacks.NOTICE)
    decision = await ctx.call(
        notices.decide_notice,
        actor=ctx.actor,
        token=data.word(),
        send=data.action == "go",
        rules=ctx.rules,
    )
    await ctx.answer()
    await ctx.edit(notice_messages.notice_decided(ctx.lang, decision))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("inspect", inspect_command))
    app.add_handler(CommandHandler("inspected", inspected_command))
    app.add_handler(CommandHandler("notice", notice_command))
    app.add_handler(
        CallbackQueryHandler(inspection_button, pattern=callbacks.pattern(callbacks.INSPECTION))
    )
    app.add_handler(
        CallbackQueryHandler(notice_button, pattern=callbacks.pattern(callbacks.NOTICE))
    )
