"""Joining with a code (and confirming a liaison takeover), per-user command menus, /invite."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.i18n import N_, t
from bot.textsplit import escape
from handlers.common import Ctx, button, handler
from handlers.menu import commands_for
from models.enums import Role
from services import callbacks, onboarding
from services.errors import DomainError, NotAllowed
from services.messages.common import local_name

log = logging.getLogger(__name__)

ROLE_NAMES = {
    Role.ENTERPRISE: N_("enterprise contact"),
    Role.PARK_OFFICER: N_("park efficiency office"),
    Role.DISPATCHER: N_("county optimization office dispatcher"),
    Role.LIAISON: N_("department liaison"),
    Role.HEAD: N_("department head"),
    Role.SUPERVISOR: N_("discipline supervisor"),
    Role.ADMIN: N_("administrator"),
}
# Join buttons carry the invitation code itself: only someone holding the code can use it,
# so a forged button cannot redeem anything.
SCOPE_HINT = {
    Role.LIAISON: N_("<department code>"),
    Role.HEAD: N_("<department code>"),
    Role.PARK_OFFICER: N_("<park code>"),
    Role.ENTERPRISE: N_("<credit code>"),
}


async def publish_menu(bot: Bot, *, telegram_id: int, roles: Iterable[Role], lang: str) -> None:
    """Show this user, in their private chat, only the commands their roles allow."""
    commands = [
        BotCommand(c.name, t(lang, c.description)[:256]) for c in commands_for(frozenset(roles))
    ]
    try:
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(telegram_id))
    except TelegramError:
        # A menu is a convenience: /help still lists the same commands.
        log.warning("could not set the command menu of chat %s", telegram_id, exc_info=True)


async def publish_own_menu(ctx: Ctx, roles: Iterable[Role] | None = None) -> None:
    """Redo the acting user's menu (after joining, or after /lang)."""
    await publish_menu(
        ctx.context.bot,
        telegram_id=ctx.actor.user.telegram_id,
        roles=ctx.actor.roles if roles is None else roles,
        lang=ctx.lang,
    )


def role_name(ctx: Ctx, role: Role) -> str:
    return ctx.tr(ROLE_NAMES[role])


def _scope(ctx: Ctx, zh: str | None, en: str | None) -> str | None:
    return local_name(ctx.lang, zh, en)


async def redeem(ctx: Ctx, code: str) -> None:
    """Handle /start <code>: join, or ask before taking over a department's liaison role."""
    result = await ctx.call(
        onboarding.join,
        user=ctx.actor.user,
        code=code,
        rules=ctx.rules,
    )
    if isinstance(result, onboarding.TakeoverNeeded):
        text = ctx.tr(
            "{department} already has a liaison: {current}. A department has exactly one "
            "liaison. Do you want to take over? {current} will be told, and the department's "
            "open assignments stay with the department.",
            department=_scope(ctx, result.department_zh, result.department_en),
            current=", ".join(result.current),
        )
        buttons = [
            [
                (ctx.tr("Confirm"), callbacks.join("y", code)),
                (ctx.tr("Cancel"), callbacks.join("n", code)),
            ]
        ]
        await ctx.reply(escape(text), buttons=buttons)
        return
    await ctx.reply(_joined_text(ctx, result))
    await _publish_after_join(ctx, result)


def _joined_text(ctx: Ctx, joined: onboarding.Joined) -> str:
    scope = _scope(ctx, joined.scope_zh, joined.scope_en)
    role = role_name(ctx, joined.role)
    if joined.already:
        text = ctx.tr("You are already registered as {role}.", role=role)
        if scope:
            text += "\n" + ctx.tr("Unit: {scope}", scope=scope)
        text += "\n" + ctx.tr("Nothing was changed, and this code was not used.")
        return escape(text)
    text = ctx.tr("Welcome! You are now registered as {role}.", role=role)
    if scope:
        text += "\n" + ctx.tr("Unit: {scope}", scope=scope)
    return escape(text + "\n\n" + ctx.tr("Send /help to see what you can do."))


async def _publish_after_join(ctx: Ctx, joined: onboarding.Joined) -> None:
    await publish_own_menu(ctx, joined.roles)
    for owner in joined.replaced:
        await publish_menu(
            ctx.context.bot,
            telegram_id=owner.telegram_id,
            roles=owner.roles,
            lang=owner.language,
        )


@handler
async def on_join_button(ctx: Ctx) -> None:
    """Confirm or decline taking over a department's liaison role."""
    data = button(ctx, callbacks.JOIN)
    choice, code = data.action, data.word()
    if choice == "n":
        try:
            expires = await ctx.call(onboarding.check_code, code=code, rules=ctx.rules)
        except DomainError:
            await ctx.answer()
            await ctx.edit(escape(ctx.tr("Cancelled. Nothing was changed.")))
            return
        local = expires.astimezone(ctx.rules.zone)
        await ctx.answer()
        await ctx.edit(
            escape(
                ctx.tr(
                    "Cancelled. Nothing was changed. The code stays valid until {time}; "
                    "send /start {code} if you change your mind.",
                    time=local.strftime("%Y-%m-%d %H:%M"),
                    code=code,
                )
            )
        )
        return
    joined = await ctx.call(
        onboarding.confirm_takeover,
        user=ctx.actor.user,
        code=code,
        rules=ctx.rules,
    )
    await ctx.answer()
    await ctx.edit(_joined_text(ctx, joined))
    await _publish_after_join(ctx, joined)


def invitation_text(ctx: Ctx, issued: onboarding.IssuedInvitation) -> str:
    """The code, its deep link, and that it is single use with its local expiry."""
    settings = ctx.deps.settings
    local = issued.expires_at.astimezone(settings.time.zone)
    lines = [ctx.tr("Invitation for a new {role}", role=role_name(ctx, issued.role))]
    scope = _scope(ctx, issued.scope_zh, issued.scope_en)
    if scope:
        lines.append(ctx.tr("Unit: {scope}", scope=scope))
    lines = [escape(line) for line in lines]
    lines[0] = f"<b>{lines[0]}</b>"
    lines.append(escape(ctx.tr("Code:")) + f" <code>{issued.code}</code>")
    lines.append(escape(issued.deep_link(settings.telegram.bot_username)))
    lines.append(
        escape(
            ctx.tr(
                "Single use; valid until {time} ({zone}). Send the link to the person: "
                "opening it and pressing Start registers them.",
                time=local.strftime("%Y-%m-%d %H:%M"),
                zone=settings.time.timezone,
            )
        )
    )
    return "\n".join(lines)


@handler
async def invite_command(ctx: Ctx) -> None:
    """/invite <role> [department, park or enterprise]: a single-use code and its link."""
    allowed = onboarding.invitable_roles(ctx.actor)
    if not allowed:
        raise NotAllowed(
            "Only park officers, dispatchers and administrators can create invitations."
        )
    role: Role | None = None
    if ctx.args:
        try:
            role = Role(ctx.args[0].strip().lower())
        except ValueError:
            role = None
    if role is None:
        lines = [ctx.tr("Usage: /invite <role> [unit]. You may invite:")]
        for option in (r for r in Role if r in allowed):
            hint = SCOPE_HINT.get(option)
            usage = f"/invite {option.value}" + (" " + ctx.tr(hint) if hint else "")
            lines.append(f"{usage} — {role_name(ctx, option)}")
        await ctx.reply(escape("\n".join(lines)))
        return
    scope = " ".join(ctx.args[1:]) or None
    issued = await ctx.call(
        onboarding.invite, actor=ctx.actor, role=role, scope=scope, rules=ctx.rules
    )
    await ctx.reply(invitation_text(ctx, issued))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("invite", invite_command))
    app.add_handler(CallbackQueryHandler(on_join_button, pattern=callbacks.pattern(callbacks.JOIN)))
