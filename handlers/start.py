"""/start (with or without an invitation code), /help and /lang."""

from __future__ import annotations

from telegram.ext import Application, CommandHandler

from bot.i18n import LANGUAGES, N_
from bot.textsplit import escape
from handlers.common import Ctx, handler
from handlers.menu import commands_for
from models.enums import Role
from services import onboarding, users

ROLE_NAMES = {
    Role.ENTERPRISE: N_("enterprise contact"),
    Role.PARK_OFFICER: N_("park efficiency office"),
    Role.DISPATCHER: N_("county optimization office dispatcher"),
    Role.LIAISON: N_("department liaison"),
    Role.HEAD: N_("department head"),
    Role.SUPERVISOR: N_("discipline supervisor"),
    Role.ADMIN: N_("administrator"),
}


@handler
async def start(ctx: Ctx) -> None:
    """Greet the user, or redeem the invitation code given as /start <code>."""
    if ctx.args:
        joined = await ctx.call(onboarding.join, user=ctx.actor.user, code=ctx.args[0])
        scope = joined.scope_zh if ctx.lang == "zh" else joined.scope_en
        role = ctx.t(ROLE_NAMES[joined.role])
        text = ctx.t("Welcome! You are now registered as {role}.", role=role)
        if scope:
            text += "\n" + ctx.t("Unit: {scope}", scope=escape(scope))
        await ctx.reply(text + "\n\n" + ctx.t("Send /help to see what you can do."))
        return
    name = escape(ctx.actor.user.display_name or "")
    text = ctx.t(
        "Hello {name}! This is duban (督办), the county's assign-and-supervise service for "
        "enterprises in the industrial parks: report a problem here and the responsible "
        "departments must act on it within a deadline.",
        name=name,
    )
    if not ctx.actor.roles:
        text += "\n\n" + ctx.t(
            "To use it you need an invitation: enterprises get one from their park's "
            "efficiency office, departments from the county optimization office. "
            "Open the invitation link, or send /start <code>."
        )
    else:
        text += "\n\n" + ctx.t("Send /help to see what you can do.")
    await ctx.reply(text)


@handler
async def help_command(ctx: Ctx) -> None:
    """List only the commands this user's roles allow."""
    lines = [f"<b>{ctx.t('What you can do')}</b>"]
    if ctx.actor.roles:
        roles = ", ".join(ctx.t(ROLE_NAMES[r]) for r in sorted(ctx.actor.roles))
        lines.append(ctx.t("Your roles: {roles}", roles=roles))
    lines.append("")
    for command in commands_for(ctx.actor.roles):
        lines.append(f"/{command.name} — {escape(ctx.t(command.description))}")
    await ctx.reply("\n".join(lines))


@handler
async def lang(ctx: Ctx) -> None:
    """Switch the user's language: /lang zh or /lang en."""
    choice = ctx.args[0].lower() if ctx.args else ""
    if choice not in LANGUAGES:
        await ctx.reply(ctx.t("Usage: /lang zh or /lang en"))
        return
    await ctx.call(users.set_language, user=ctx.actor.user, language=choice)
    ctx.lang = choice
    await ctx.reply(ctx.t("Language set to English."))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CommandHandler("lang", lang))
