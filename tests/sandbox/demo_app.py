"""A tiny PTB Application used by the sandbox's end-to-end and browser tests."""

# The project's real factory, bot.app.build_application(settings), is written elsewhere;
# these tests deliberately use this stand-in so the emulator is tested on its own.

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction, ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

TOKEN = "7000001:SANDBOX-demo_token"

MAIN_KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("✅ 确认 Confirm", callback_data="ack"),
            InlineKeyboardButton("📋 我的任务 Tasks", callback_data="tasks"),
        ],
        [InlineKeyboardButton("ℹ️ 帮助 Help", callback_data="help")],
    ]
)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet with an inline keyboard."""
    user = update.effective_user
    await context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING)
    await update.effective_message.reply_text(
        f"你好，<b>{html.escape(user.first_name)}</b>！欢迎使用 <i>督办 duban</i>。\n"
        "请选择操作 · Choose an action:",
        parse_mode=ParseMode.HTML,
        reply_markup=MAIN_KEYBOARD,
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer presses and edit the message in place."""
    query = update.callback_query
    user = query.from_user
    if query.data == "ack":
        await query.answer("已确认 ✓")
        await query.edit_message_text(
            f"✅ <b>已确认</b> — {html.escape(user.first_name)}", parse_mode=ParseMode.HTML
        )
    elif query.data == "tasks":
        await query.answer()
        await query.edit_message_text(
            "📋 <b>我的任务 Tasks</b>\n1. 消防通道堵塞 — <code>待处理</code>\n"
            "2. 路灯损坏 — <code>处理中</code>",
            parse_mode=ParseMode.HTML,
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("⬅️ 返回 Back", callback_data="back")]]
            ),
        )
    elif query.data == "back":
        await query.answer()
        await query.edit_message_text("请选择操作 · Choose an action:", reply_markup=MAIN_KEYBOARD)
    elif query.data == "help":
        await query.answer("发送 /start 重新开始 · Send /start to begin again", show_alert=True)
    else:
        await query.answer("未知操作 Unknown action")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Acknowledge any other text."""
    await update.effective_message.reply_text(f"收到：{update.effective_message.text}")


async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Acknowledge a photo with its size."""
    photo = update.effective_message.photo[-1]
    await update.effective_message.reply_text(f"收到图片 {photo.width}×{photo.height}")


def build_demo_application(base_url: str, token: str = TOKEN) -> Application:
    """Application wired to a sandbox at base_url (e.g. http://127.0.0.1:PORT)."""
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{base_url}/bot")
        .base_file_url(f"{base_url}/file/bot")
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.PHOTO, on_photo))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return app
