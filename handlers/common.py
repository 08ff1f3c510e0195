"""Glue every handler shares: who is acting, in which language, and how refusals look."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlmodel import Session
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MaybeInaccessibleMessage,
    Message,
    Update,
)
from telegram import User as TelegramUser
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.deps import Deps
from bot.i18n import t
from bot.startup import transient
from bot.textsplit import escape, split_html
from handlers.menu import command_word
from handlers.menu import refusal as menu_refusal
from services import callbacks, digests, live, replies
from services.errors import DomainError, InvalidInput
from services.rules import Rules
from services.users import Actor, ensure_user, language_of, load_actor

log = logging.getLogger(__name__)
T = TypeVar("T")
P = ParamSpec("P")
Buttons = Sequence[Sequence[tuple[str, str]]]  # rows of (label, callback_data)


def deps_of(context: ContextTypes.DEFAULT_TYPE) -> Deps:
    return context.application.bot_data["deps"]


@dataclass
class Ctx:
    """One update as a handler sees it: the acting user, their language, the dependencies."""

    update: Update
    context: ContextTypes.DEFAULT_TYPE
    deps: Deps
    actor: Actor
    lang: str
    committed: bool = False  # a service call succeeded: a failed answer is owed, not an error

    def tr(self, msgid: str, /, **params: Any) -> str:
        """Translate into the acting user's language."""
        return t(self.lang, msgid, **params)

    t = tr  # older spelling; extraction only sees ``tr``

    @property
    def rules(self) -> Rules:
        return self.deps.rules

    @property
    def message_key(self) -> str | None:
        """A key unique to the incoming message, for idempotent creation."""
        message = self.update.effective_message
        if message is None or self.update.callback_query is not None:
            return None
        return f"msg:{message.chat_id}:{message.message_id}"

    def attachment(self) -> dict[str, str] | None:
        """The photo or document in the incoming message, as stored by services."""
        message = self.update.effective_message
        if message is None:
            return None
        if message.photo:
            photo = message.photo[-1]
            return {
                "kind": "photo",
                "file_id": photo.file_id,
                "file_unique_id": photo.file_unique_id,
                "caption": message.caption or "",
            }
        if message.document:
            doc = message.document
            return {
                "kind": "document",
                "file_id": doc.file_id,
                "file_unique_id": doc.file_unique_id,
                "file_name": doc.file_name or "",
                "mime_type": doc.mime_type or "",
                "caption": message.caption or "",
            }
        return None

    @property
    def args(self) -> list[str]:
        return list(self.context.args or [])

    @property
    def text(self) -> str:
        message = self.update.effective_message
        return (message.text or message.caption or "") if message else ""

    async def call(
        self, fn: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run one service function in its own transaction, then wake the outbox."""
        result = await self.deps.db.run(fn, *args, **kwargs)
        self.committed = True
        self.deps.kick_outbox()
        return result

    async def reply(
        self, text: str, *, buttons: Buttons | None = None, html: bool = True
    ) -> Message | None:
        """Answer in the chat of the update (an interactive reply, not an owed message)."""
        chat = self.update.effective_chat
        if chat is None:
            return None
        pieces = split_html(text) if html else [text]
        sent = None
        for i, piece in enumerate(pieces):
            markup = markup_of(buttons) if i == len(pieces) - 1 else None
            try:
                sent = await self.context.bot.send_message(
                    chat.id, piece, parse_mode=ParseMode.HTML if html else None, reply_markup=markup
                )
            except TelegramError as exc:
                if not (self.committed and transient(exc)):
                    raise
                await self.owe(pieces[i:], buttons=buttons, html=html)
                return None
        return sent

    async def owe(self, pieces: Sequence[str], *, buttons: Buttons | None, html: bool) -> None:
        """Hand an answer Telegram failed after a commit to the outbox."""
        chat = self.update.effective_chat
        assert chat is not None
        rows = [[{"text": label, "data": data} for label, data in row] for row in buttons or []]
        await self.deps.db.run(
            replies.owe,
            update_id=self.update.update_id,
            chat_id=chat.id,
            user_id=self.actor.id,
            pieces=pieces,
            buttons=rows or None,
            html=html,
        )
        log.warning("answer to update %s left to the outbox", self.update.update_id)
        self.deps.kick_outbox()

    async def edit(
        self, text: str, *, buttons: Buttons | None = None
    ) -> MaybeInaccessibleMessage | None:
        """Replace the pressed message's text and keyboard; fall back to a new message.

        A digest (several messages in one, services/digests.py) is never replaced: the other
        parts would be gone from the chat; the answer comes as a new message instead. Returns
        the message that shows the answer, when it is known.
        """
        query = self.update.callback_query
        if query is None or query.message is None or _is_digest(query.message):
            return await self.reply(text, buttons=buttons)
        try:
            await query.edit_message_text(
                split_html(text)[0], parse_mode=ParseMode.HTML, reply_markup=markup_of(buttons)
            )
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                return await self.reply(text, buttons=buttons)
        except TelegramError as exc:
            if not (self.committed and transient(exc)):
                raise
            await self.owe(split_html(text), buttons=buttons, html=True)
            return None
        return query.message

    async def remember(self, live_key: str, shown: MaybeInaccessibleMessage | None) -> None:
        """A card shown by hand is kept current like the ones the outbox sent."""
        if shown is not None:
            await self.call(
                live.remember, live_key=live_key, chat_id=shown.chat.id, message_id=shown.message_id
            )

    async def answer(self, text: str | None = None, *, alert: bool = False) -> None:
        query = self.update.callback_query
        if query is not None:
            try:
                await query.answer(text[:200] if text else None, show_alert=alert)
            except BadRequest:
                log.info("callback query %s was too old to answer", query.id)
            except TelegramError as exc:
                if not (self.committed and transient(exc)):
                    raise
                log.info("callback query %s not answered (%s); its change was saved", query.id, exc)


def markup_of(buttons: Buttons | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in buttons
        ]
    )


def _identify(
    session: Session, *, tg_user: TelegramUser, default_language: str
) -> tuple[Actor, str]:
    user = ensure_user(
        session,
        telegram_id=tg_user.id,
        display_name=tg_user.full_name,
        username=tg_user.username,
        language_code=tg_user.language_code,
    )
    return load_actor(session, user), language_of(user, default_language)


Handler = Callable[[Ctx], Awaitable[None]]
# What PTB's handler classes accept as a callback.
Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def handler(fn: Handler) -> Callback:
    """Resolve the acting user (never the chat), then run ``fn``; refusals become polite text."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        tg_user = update.effective_user
        if tg_user is None or tg_user.is_bot:
            return
        deps = deps_of(context)
        # Answers first: the outbox (which yields to the database's work) waits for the answer.
        async with deps.db.busy():
            await _handle(fn, update, context, deps, tg_user)

    return wrapper


async def _handle(
    fn: Handler,
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    deps: Deps,
    tg_user: TelegramUser,
) -> None:
    """Resolve the acting user, then run ``fn``; refusals become polite text."""
    actor, lang = await deps.db.run(
        _identify, tg_user=tg_user, default_language=deps.rules.default_language
    )
    ctx = Ctx(update=update, context=context, deps=deps, actor=actor, lang=lang)
    try:
        if await _refused_by_menu(ctx):
            return
        await fn(ctx)
    except DomainError as exc:
        message = exc.translated(ctx.tr, ctx.lang)
        if update.callback_query is not None:
            await ctx.answer(message, alert=True)
        else:
            await ctx.reply("⚠️ " + escape(message))
    except Exception:
        if not ctx.committed:
            raise  # nothing was saved: the error handler says "not completed, try again"
        log.exception("update %s failed after its change was saved", update.update_id)


async def _refused_by_menu(ctx: Ctx) -> bool:
    """A command of another role's menu runs nothing: someone with no role is told how to
    join, anyone else which commands are theirs."""
    message = ctx.update.message or ctx.update.edited_message  # not a pressed bot message
    if message is None or not message.text:
        return False
    command, _bot = command_word(message.text)
    text = menu_refusal(ctx.tr, command, ctx.actor.roles) if command else None
    if text is None:
        return False
    await ctx.reply(text)
    return True


def button(ctx: Ctx, kind: str) -> callbacks.Data:
    """The pressed button's data, decoded; anything malformed is refused, never trusted."""
    query = ctx.update.callback_query
    try:
        return callbacks.decode(query.data if query else None, kind)
    except callbacks.Stale:
        raise InvalidInput(callbacks.STALE_TEXT) from None


def _is_digest(message: MaybeInaccessibleMessage) -> bool:
    """Whether a pressed message carries several of the bot's messages (a digest)."""
    return isinstance(message, Message) and digests.SEPARATOR.strip() in (message.text or "")
