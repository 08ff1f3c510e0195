"""/start (with or without an invitation code), /help and /lang."""

from __future__ import annotations

from telegram.ext import Application, CommandHandler

from bot.i18n import LANGUAGES
from bot.textsplit import escape
from handlers.common import Ctx, handler
from handlers.invitations import ROLE_NAMES, publish_own_menu, redeem
from handlers.menu import menu_lines
from services import users


@handler
async def start(ctx: Ctx) -> None:
    """Greet the user, or redeem the invitation code given as /start <code>."""
    if ctx.args:
        await redeem(ctx, ctx.args[0])
        return
    name = escape(ctx.actor.user.display_name or "")
    text = ctx.tr(
        "Hello {name}! This is duban (督办), the county's assign-and-supervise service for "
        "enterprises in the industrial parks: report a problem here and the responsible "
        "departments must act on it within a deadline.",
        name=name,
    )
    if not ctx.actor.roles:
        text += "\n\n" + escape(
            ctx.tr(
                "To use it you need an invitation: enterprises get one from their park's "
                "efficiency office, departments from the county optimization office. "
                "Open the invitation link, or send /start <code>."
            )
        )
    else:
        text += "\n\n" + ctx.tr("Send /help to see what you can do.")
    await ctx.reply(text)
    # People given roles outside the chat (CLI, demo) get their menu on their first /start.
    await publish_own_menu(ctx)


@handler
async def help_command(ctx: Ctx) -> None:
    """List only the commands this user's roles allow."""
    lines = ["<b>" + ctx.tr("What you can do") + "</b>"]
    if ctx.actor.roles:
        roles = ", ".join(ctx.tr(ROLE_NAMES[r]) for r in sorted(ctx.actor.roles))
        lines.append(ctx.tr("Your roles: {roles}", roles=roles))
    lines.append("")
    lines += menu_lines(ctx.tr, ctx.actor.roles)
    await ctx.reply("\n".join(lines))


@handler
async def lang(ctx: Ctx) -> None:
    """Switch the user's language: /lang zh or /lang en."""
    choice = ctx.args[0].lower() if ctx.args else ""
    if choice not in LANGUAGES:
        await ctx.reply(ctx.tr("Usage: /lang zh or /lang en"))
        return
    await ctx.call(users.set_language, user=ctx.actor.user, language=choice)
    ctx.lang = choice
    await ctx.reply(ctx.tr("Language set to English."))
    await publish_own_menu(ctx)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CommandHandler("lang", lang))
