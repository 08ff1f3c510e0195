"""/enterprise: registering an enterprise and its projects, guided or in one command.

Button data comes from services.callbacks (kind REGISTRY) and is untrusted: the service
re-checks step and permission on every press.
"""

from __future__ import annotations

from decimal import Decimal

from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.i18n import N_
from bot.textsplit import escape
from handlers.common import Buttons, Ctx, button, handler
from handlers.conversation import flow
from handlers.invitations import invitation_text
from models import MAJOR_PROJECT_YUAN, Draft
from models.enums import Role
from services import callbacks, onboarding
from services.errors import InvalidInput, InvalidState, NotAllowed, NotFound
from services.messages.common import local_name
from services.registry import form, records

ACTIONS = {"p": "park", "k": "key", "h": "head", "a": "add", "f": "finish", "x": "cancel"}
KEY_PROJECT = N_("key project")
MAJOR_PROJECT = N_("major project")


def format_yuan(amount: int, lang: str) -> str:
    """An amount the way people write it: 1.2亿元 / 8000万元, or 120,000,000 yuan."""
    if lang != "zh":
        return f"{amount:,} yuan"
    for unit, size in (("亿", 100_000_000), ("万", 10_000)):
        if amount >= size:
            value = (Decimal(amount) / size).normalize()
            return f"{value:f}{unit}元"
    return f"{amount}元"


def _label(ctx: Ctx, choice: records.Choice) -> str:
    return local_name(ctx.lang, choice.label_zh, choice.label_en) or "?"


def project_line(ctx: Ctx, project: records.ProjectInfo) -> str:
    """One project in a summary, as HTML."""
    parts = [escape(project.name)]
    if project.investment_yuan is not None:
        parts.append(escape(format_yuan(project.investment_yuan, ctx.lang)))
    if project.is_major:
        parts.append(escape(ctx.tr(MAJOR_PROJECT)))
    if project.is_key:
        parts.append(escape(ctx.tr(KEY_PROJECT)))
    if project.head:
        parts.append(escape(ctx.tr("efficiency head: {name}", name=project.head)))
    return "• " + parts[0] + (" — " + ", ".join(parts[1:]) if len(parts) > 1 else "")


def summary(ctx: Ctx, registered: records.Registered) -> tuple[str, Buttons]:
    """The registered enterprise, with the offer to invite its contact person."""
    lines = [
        "<b>" + escape(ctx.tr("Enterprise registered")) + "</b>",
        escape(ctx.tr("Name: {name}", name=registered.name)),
        escape(ctx.tr("Credit code: {code}", code=registered.credit_code)),
        escape(ctx.tr("Park: {park}", park=_label(ctx, registered.park))),
    ]
    if registered.projects:
        lines.append(escape(ctx.tr("Projects:")))
        lines.extend(project_line(ctx, p) for p in registered.projects)
    else:
        lines.append(escape(ctx.tr("No projects registered yet.")))
    buttons = [[(ctx.tr("Invite the enterprise contact"), callbacks.registry("i", registered.id))]]
    return "\n".join(lines), buttons


def _project_step(ctx: Ctx, prompt: form.Prompt) -> str:
    lines = []
    if prompt.auto_park and prompt.park and not prompt.projects:
        lines.append(escape(ctx.tr("Park: {park}", park=_label(ctx, prompt.park))))
    if prompt.projects:
        lines.append(escape(ctx.tr("Send the name of the next project, or press Finish.")))
    else:
        text = ctx.tr(
            "Send the name of a project of {name}, or press Finish to register the "
            "enterprise without projects.",
            name=prompt.name,
        )
        lines.append(escape(text))
    return "\n".join(lines)


def _key_step(ctx: Ctx, prompt: form.Prompt) -> str:
    current = prompt.current.name if prompt.current else ""
    lines = []
    if prompt.current and prompt.current.is_major:
        text = ctx.tr(
            "{project} is a major project (investment of {amount} or more): "
            "a named efficiency head follows it end to end.",
            project=current,
            amount=format_yuan(MAJOR_PROJECT_YUAN, ctx.lang),
        )
        lines.append(escape(text))
    text = ctx.tr("Is {project} on the county's key-project list?", project=current)
    lines.append(escape(text))
    return "\n".join(lines)


def render(ctx: Ctx, prompt: form.Prompt) -> tuple[str, Buttons | None]:
    """The question of the current step, and its buttons."""
    cancel = (ctx.tr("Cancel"), callbacks.registry("x"))
    finish = (ctx.tr("Finish"), callbacks.registry("f"))
    current = prompt.current.name if prompt.current else ""
    step = prompt.step

    def say(msgid: str, **params: object) -> str:
        return escape(ctx.tr(msgid, **params))

    if step == form.NAME:
        return say("Registering a new enterprise. Send its full registered name."), [[cancel]]
    if step == form.CREDIT:
        text = say(
            "Send the unified social credit code (18 characters) of {name}.", name=prompt.name
        )
        return text, [[cancel]]
    if step == form.PARK:
        rows = [[(_label(ctx, p), callbacks.registry("p", p.id))] for p in prompt.parks]
        return say("In which park is {name}?", name=prompt.name), [*rows, [cancel]]
    if step == form.PROJECT:
        return _project_step(ctx, prompt), [[finish], [cancel]]
    if step == form.INVESTMENT:
        text = say(
            "How much does {project} invest, in yuan? For example 8000万, 1.2亿 or 120000000.",
            project=current,
        )
        return text, [[cancel]]
    if step == form.KEY:
        return _key_step(ctx, prompt), [
            [
                (ctx.tr("Yes"), callbacks.registry("k", 1)),
                (ctx.tr("No"), callbacks.registry("k", 0)),
            ],
            [cancel],
        ]
    if step == form.HEAD:
        park = _label(ctx, prompt.park) if prompt.park else ""
        rows = [
            [(_label(ctx, person), callbacks.registry("h", person.id))] for person in prompt.heads
        ]
        text = say(
            "Who is the efficiency head of {project}? Choose an officer of {park}, or skip.",
            project=current,
            park=park,
        )
        return text, [*rows, [(ctx.tr("Skip"), callbacks.registry("h", 0))], [cancel]]
    if step == form.MORE:
        added = prompt.projects[-1] if prompt.projects else None
        lines = [say("Project added:")]
        if added:
            lines.append(project_line(ctx, added))
        lines.append(say("Send the name of another project, or press Finish."))
        return "\n".join(lines), [
            [(ctx.tr("Add another project"), callbacks.registry("a")), finish],
            [cancel],
        ]
    if step == form.DONE and prompt.registered:
        return summary(ctx, prompt.registered)
    if step == form.CANCELLED:
        return say("Cancelled. Nothing was submitted."), None
    raise InvalidState(callbacks.STALE_TEXT)


async def show(
    ctx: Ctx, prompt: form.Prompt, *, edit: bool = False, error: str | None = None
) -> None:
    text, buttons = render(ctx, prompt)
    if error:
        text = "⚠️ " + escape(error) + "\n\n" + text
    if edit:
        await ctx.edit(text, buttons=buttons)
    else:
        await ctx.reply(text, buttons=buttons)


def _looks_like_code(text: str) -> bool:
    return len(text.strip()) == 18 and text.strip().isalnum()


@handler
async def enterprise_command(ctx: Ctx) -> None:
    """/enterprise starts the guided form; /enterprise <name> <credit code> [park] is one go."""
    args = ctx.args
    if not args:
        prompt = await ctx.call(form.begin_registration, actor=ctx.actor, rules=ctx.rules)
        await show(ctx, prompt)
        return
    park = None
    if len(args) >= 3 and _looks_like_code(args[-2]) and not _looks_like_code(args[-1]):
        park = args.pop()
    if len(args) < 2:
        raise InvalidInput(
            "Usage: /enterprise <name> <credit code> [park code], or /enterprise alone for a "
            "guided form that also takes the projects."
        )
    registered = await ctx.call(
        records.register_enterprise,
        actor=ctx.actor,
        name=" ".join(args[:-1]),
        credit_code=args[-1],
        park=park,
        rules=ctx.rules,
    )
    text, buttons = summary(ctx, registered)
    await ctx.reply(text, buttons=buttons)


@flow(form.DRAFT_KIND)
async def on_text(ctx: Ctx, draft: Draft) -> None:
    """The next answer of the guided registration; bad input asks the same question again."""
    try:
        prompt = await ctx.call(
            form.registration_text, actor=ctx.actor, text=ctx.text, rules=ctx.rules
        )
    except (InvalidInput, NotFound, NotAllowed) as exc:
        # Bad input (or a park not theirs): say why, then ask the same question again.
        again = await ctx.call(form.registration_prompt, actor=ctx.actor, rules=ctx.rules)
        await show(ctx, again, error=ctx.tr(exc.msgid, **exc.params))
        return
    await show(ctx, prompt)


@handler
async def on_button(ctx: Ctx) -> None:
    """A button of the registration form, or the offer to invite the contact person."""
    data = button(ctx, callbacks.REGISTRY)
    if data.action == "i":
        issued = await ctx.call(
            onboarding.invite,
            actor=ctx.actor,
            role=Role.ENTERPRISE,
            enterprise_id=data.id(),
            rules=ctx.rules,
        )
        await ctx.answer()
        await ctx.reply(invitation_text(ctx, issued))
        return
    action = ACTIONS[data.action]
    prompt = await ctx.call(
        form.registration_button,
        actor=ctx.actor,
        action=action,
        value=str(data.args[0]) if data.args else "",
        rules=ctx.rules,
    )
    await ctx.answer()
    await show(ctx, prompt, edit=True)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("enterprise", enterprise_command))
    app.add_handler(CallbackQueryHandler(on_button, pattern=callbacks.pattern(callbacks.REGISTRY)))
