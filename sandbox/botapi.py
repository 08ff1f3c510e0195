"""Bot API methods of the emulator, answered the way api.telegram.org answers them."""

from __future__ import annotations

import asyncio
import copy
import functools
import json
import logging
import mimetypes
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from sandbox.context import CONTEXT, SandboxContext
from sandbox.limits import THROTTLE_RETRY_AFTER
from sandbox.media import image_info
from sandbox.params import Params, Upload, read_params
from sandbox.state import (
    ApiError,
    BotState,
    Chat,
    StoredFile,
    StoredMessage,
    Webhook,
    World,
    bad_request,
    message_view,
)
from sandbox.textparse import EntityParseError, parse_html

log = logging.getLogger(__name__)

TOKEN_RE = re.compile(r"^(\d{1,20}):([A-Za-z0-9_-]{1,100})$")
SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
BUTTON_ACTIONS = frozenset(
    {
        "callback_data",
        "url",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)
SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
PHOTO_EXTENSIONS = {"image/png": ".png", "image/gif": ".gif", "image/webp": ".webp"}

_dumps = functools.partial(json.dumps, ensure_ascii=False)


@dataclass
class Call:
    """One Bot API request being served."""

    ctx: SandboxContext
    bot: BotState
    params: Params
    request: web.Request

    @property
    def world(self) -> World:
        return self.ctx.world


Handler = Callable[[Call], Awaitable[Any]]
METHODS: dict[str, Handler] = {}


def method(name: str) -> Callable[[Handler], Handler]:
    """Register a Bot API method; Telegram matches method names case-insensitively."""

    def register(func: Handler) -> Handler:
        METHODS[name.lower()] = func
        return func

    return register


def api_error_response(error: ApiError) -> web.Response:
    """JSON error body with the matching HTTP status, like Telegram."""
    return web.json_response(error.payload(), status=error.code, dumps=_dumps)


async def drop_connection(request: web.Request) -> web.StreamResponse:
    """Close the socket without answering, as a flaky network would."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    # The handler is cancelled once aiohttp notices the lost connection; wait for that.
    await asyncio.sleep(3600)
    raise ConnectionResetError("dropped by fault injection")


async def handle(request: web.Request) -> web.StreamResponse:
    """Entry point for /bot<token>/<method>."""
    ctx = request.app[CONTEXT]
    match = TOKEN_RE.match(request.match_info["token"])
    if match is None:
        return api_error_response(ApiError(401, "Unauthorized"))
    handler = METHODS.get(request.match_info["method"].lower())
    if handler is None:
        return api_error_response(ApiError(404, "Not Found"))
    # Faults are decided before anything happens, so a failed getUpdates never hands out
    # updates and a failed send never sends: the client can always safely retry.
    fault = ctx.faults.draw()
    if fault == "error":
        return api_error_response(ApiError(500, "Internal Server Error"))
    if fault == "drop":
        return await drop_connection(request)
    if fault == "throttle":
        retry = {"retry_after": THROTTLE_RETRY_AFTER}
        message = f"Too Many Requests: retry after {THROTTLE_RETRY_AFTER}"
        return api_error_response(ApiError(429, message, retry))
    bot = ctx.world.bot(int(match.group(1)))
    # Half the emulated latency on the way in, half on the way back: a client that dies
    # in the first half never reached "Telegram", one that dies in the second half did.
    half = random.uniform(*ctx.latency) / 2 if ctx.latency else 0.0
    if half:
        await asyncio.sleep(half)
    try:
        params = await read_params(request)
        result = await handler(Call(ctx, bot, params, request))
    except ApiError as error:
        return api_error_response(error)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("sandbox bot API method %s failed", request.match_info["method"])
        return api_error_response(ApiError(500, "Internal Server Error"))
    if half:
        await asyncio.sleep(half)
    return web.json_response({"ok": True, "result": result}, dumps=_dumps)


async def download(request: web.Request) -> web.StreamResponse:
    """File bytes at /file/bot<token>/<file_path>."""
    ctx = request.app[CONTEXT]
    if TOKEN_RE.match(request.match_info["token"]) is None:
        return api_error_response(ApiError(401, "Unauthorized"))
    stored = ctx.world.files_by_path.get(request.match_info["path"])
    if stored is None:
        return api_error_response(ApiError(404, "Not Found"))
    return web.Response(body=stored.data, content_type=stored.mime_type)


# --- shared helpers ---------------------------------------------------------------------------


def now(world: World | None = None) -> int:
    """Unix time as Telegram sends it, on the sandbox clock when given the world."""
    return int(world.time() if world is not None else time.time())


def resolve_chat(call: Call, *, check_blocked: bool = True) -> Chat:
    """The target private chat; 403 if the persona blocked the bot."""
    chat_id = call.params.chat_id()
    chat = call.world.chat(call.bot, chat_id)
    if check_blocked and call.world.personas[chat_id].blocked:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    return chat


def resolve_text(
    call: Call,
    key: str,
    entities_key: str,
    *,
    required: bool,
    limit: int,
    too_long: str,
) -> tuple[str | None, list[dict]]:
    """Visible text and entities after applying parse_mode, with Telegram's checks."""
    raw = call.params.text(key)
    if raw is None or raw == "":
        if required:
            raise bad_request("message text is empty")
        return None, []
    mode = (call.params.text("parse_mode") or "").lower()
    if mode == "html":
        try:
            text, entities = parse_html(raw)
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
    elif mode in ("markdown", "markdownv2"):
        # Markdown is not parsed by the sandbox; the text is kept as sent.
        text, entities = raw, []
    elif mode == "":
        text = raw
        given = call.params.obj(entities_key)
        entities = given if isinstance(given, list) else []
    else:
        raise bad_request("unsupported parse_mode")
    if not text.strip():
        if required:
            raise bad_request("message text is empty")
        return None, []
    if len(text) > limit:
        raise bad_request(too_long)
    return text, entities


def _validate_inline_keyboard(markup: dict) -> dict:
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse inline keyboard markup: field must be an Array of Arrays")
    clean_rows = []
    for row in rows:
        clean_row = []
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request("can't parse inline keyboard button: Text must be a String")
            if not button["text"]:
                raise bad_request("BUTTON_TEXT_INVALID")
            actions = BUTTON_ACTIONS.intersection(button)
            if not actions:
                raise bad_request("text buttons are unallowed in the inline keyboard")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button:
                url = button["url"]
                if not isinstance(url, str) or not url.startswith(("http://", "https://", "tg://")):
                    raise bad_request("BUTTON_URL_INVALID")
            clean_row.append(button)
        clean_rows.append(clean_row)
    return {"inline_keyboard": clean_rows}


def parse_reply_markup(call: Call) -> tuple[str, dict | None] | None:
    """(kind, markup) with kind inline/reply/remove/force, or None when absent."""
    markup = call.params.obj("reply_markup", what="reply keyboard markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        return "inline", _validate_inline_keyboard(markup)
    if "keyboard" in markup:
        if not isinstance(markup["keyboard"], list):
            raise bad_request("can't parse reply keyboard markup JSON object")
        return "reply", markup
    if markup.get("remove_keyboard"):
        return "remove", None
    if markup.get("force_reply"):
        return "force", markup
    raise bad_request("can't parse reply keyboard markup JSON object")


def inline_markup_only(call: Call) -> dict | None:
    """reply_markup for edit methods, which accept only inline keyboards."""
    parsed = parse_reply_markup(call)
    if parsed is None:
        return None
    kind, markup = parsed
    if kind != "inline":
        raise bad_request("inline keyboard expected")
    return markup


def resolve_reply(call: Call, chat: Chat) -> dict | None:
    """The replied-to message for reply_to_message_id / reply_parameters."""
    params = call.params
    reply_parameters = params.obj("reply_parameters")
    allow_missing = params.flag("allow_sending_without_reply")
    target_id = params.integer("reply_to_message_id")
    if isinstance(reply_parameters, dict):
        target_id = reply_parameters.get("message_id")
        allow_missing = bool(reply_parameters.get("allow_sending_without_reply"))
    if target_id is None:
        return None
    try:
        target = chat.get(int(target_id))
    except (TypeError, ValueError):
        target = None
    if target is None:
        if allow_missing:
            return None
        raise bad_request("message to be replied not found")
    replied = copy.deepcopy(target.data)
    replied.pop("reply_to_message", None)
    return replied


def check_rate(call: Call, chat: Chat) -> None:
    """429 like Telegram when the bot floods (only when rate limits are switched on)."""
    limiter = call.ctx.limiter
    if limiter is None:
        return
    retry_after = limiter.check(call.bot.bot_id or 0, chat.chat_id)
    if retry_after is not None:
        raise ApiError(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )


def file_from_input(world: World, value: Upload | str | None, kind: str) -> StoredFile:
    """Store an upload, or look up an existing file_id, for a photo or document."""
    if value is None:
        raise bad_request(f"there is no {kind} in the request")
    if isinstance(value, str):
        stored = world.files.get(value)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise bad_request(f"can't use file of type {stored.kind.title()} as {kind.title()}")
        return stored
    if not value.data:
        raise bad_request("file must be non-empty")
    if kind == "photo":
        if len(value.data) > MAX_PHOTO_BYTES:
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        info = image_info(value.data)
        if info is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        mime, width, height = info
        return world.store_file(
            value.data,
            "photo",
            mime_type=mime,
            extension=PHOTO_EXTENSIONS.get(mime, ".jpg"),
            width=width,
            height=height,
        )
    if len(value.data) > MAX_DOCUMENT_BYTES:
        raise ApiError(413, "Request Entity Too Large")
    guessed, _ = mimetypes.guess_type(value.filename)
    mime = guessed or value.content_type or "application/octet-stream"
    extension = "." + value.filename.rsplit(".", 1)[1] if "." in value.filename else ""
    return world.store_file(
        value.data, "document", mime_type=mime, file_name=value.filename, extension=extension
    )


def new_bot_message(call: Call, chat: Chat, content: dict) -> dict:
    """Store a message from the bot with optional markup and reply, announce it, return it."""
    persona = call.world.personas[chat.chat_id]
    data: dict[str, Any] = {
        "message_id": 0,
        "from": call.world.bot_user(call.bot),
        "chat": persona.chat_dict(),
        "date": now(call.world),
    }
    reply = resolve_reply(call, chat)
    markup = parse_reply_markup(call)
    check_rate(call, chat)
    if reply is not None:
        data["reply_to_message"] = reply
    data.update(content)
    if markup is not None:
        kind, body = markup
        if kind == "inline":
            data["reply_markup"] = body
        elif kind == "reply":
            chat.reply_keyboard = body
        elif kind == "remove":
            chat.reply_keyboard = None
    stored = chat.add(data, from_bot=True)
    call.world.emit("message", chat_id=chat.chat_id, message=message_view(stored))
    return copy.deepcopy(stored.data)


def with_text(data: dict, key: str, text: str | None, entities: list[dict]) -> dict:
    """Set text/caption and its entities on a message dict (dropping empty ones)."""
    entities_key = "entities" if key == "text" else "caption_entities"
    if text is None:
        data.pop(key, None)
    else:
        data[key] = text
    if entities:
        data[entities_key] = entities
    else:
        data.pop(entities_key, None)
    return data


def edit_target(call: Call) -> tuple[Chat, StoredMessage]:
    """The bot message addressed by chat_id + message_id of an edit method."""
    if call.params.has("inline_message_id") and not call.params.has("chat_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat = resolve_chat(call, check_blocked=False)
    message_id = call.params.integer("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    stored = chat.get(message_id)
    if stored is None:
        raise bad_request("message to edit not found")
    if not stored.from_bot:
        raise bad_request("message can't be edited")
    return chat, stored


def apply_edit(call: Call, chat: Chat, stored: StoredMessage, changes: dict) -> dict:
    """Commit an edit: new content, edit_date, edit count, and an `edit` event."""
    check_rate(call, chat)
    stored.data.update(changes)
    for key in [k for k, v in stored.data.items() if v is None]:
        del stored.data[key]
    stored.data["edit_date"] = now(call.world)
    stored.edit_count += 1
    chat.saved(stored)
    call.world.emit("edit", chat_id=chat.chat_id, message=message_view(stored))
    return copy.deepcopy(stored.data)


def scope_key(call: Call) -> tuple[str, str]:
    """Storage key of a BotCommandScope plus language_code."""
    scope = call.params.obj("scope") or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in SCOPE_TYPES:
        raise bad_request("can't parse BotCommandScope JSON object")
    key = scope["type"]
    if scope["type"] in ("chat", "chat_administrators", "chat_member"):
        if "chat_id" not in scope:
            raise bad_request("chat_id is empty")
        key += f":{scope['chat_id']}"
    if scope["type"] == "chat_member":
        key += f":{scope.get('user_id')}"
    language = call.params.text("language_code") or ""
    if language and not LANGUAGE_RE.match(language):
        raise bad_request("invalid language code specified")
    return key, language


def commands_for_chat(bot: BotState, chat_id: int, language: str) -> list[dict]:
    """Commands a Telegram client would show in this private chat (scope fallback order)."""
    for scope in (f"chat:{chat_id}", "all_private_chats", "default"):
        for lang in (language, ""):
            found = bot.commands.get((scope, lang))
            if found:
                return found
    return []


# --- methods ----------------------------------------------------------------------------------


@method("getMe")
async def get_me(call: Call) -> dict:
    """The bot user."""
    return {
        **call.world.bot_user(call.bot),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@method("logOut")
@method("close")
async def close(call: Call) -> bool:
    """Accepted and ignored."""
    return True


def _poller_is_stale(request: web.Request | None) -> bool:
    if request is None:
        return True
    transport = request.transport
    return transport is None or transport.is_closing()


@method("getUpdates")
async def get_updates(call: Call) -> list[dict]:
    """Long polling with offset/limit/timeout/allowed_updates and single-poller conflicts."""
    bot, params = call.bot, call.params
    if bot.webhook is not None:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    # A poller whose client already hung up is not a rival (its handler is being cancelled).
    if not _poller_is_stale(bot.poller):
        raise ApiError(
            409,
            "Conflict: terminated by other getUpdates request; "
            "make sure that only one bot instance is running",
        )
    offset = params.integer("offset")
    limit = params.integer("limit")
    limit = 100 if limit is None else min(max(limit, 1), 100)
    timeout = max(0.0, params.number("timeout") or 0.0)
    allowed = params.obj("allowed_updates")
    if isinstance(allowed, list):
        bot.allowed_updates = [str(kind) for kind in allowed]
    bot.confirm(offset)
    bot.poller = call.request
    try:
        deadline = time.monotonic() + timeout
        while True:
            if bot.poller is not call.request or bot.webhook is not None:
                return []
            batch = bot.updates[:limit]
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or call.ctx.closing:
                return copy.deepcopy(batch)
            await bot.update_signal.wait(remaining)
    finally:
        if bot.poller is call.request:
            bot.poller = None


@method("setWebhook")
async def set_webhook(call: Call) -> bool:
    """Deliver updates by POSTing them to a loopback URL."""
    bot, params = call.bot, call.params
    url = (params.text("url") or "").strip()
    if params.flag("drop_pending_updates"):
        bot.updates.clear()
    if not url:
        bot.webhook = None
        call.ctx.webhooks.stop(bot)
        bot.update_signal.fire()
        return True
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad_request("bad webhook: invalid URL")
    # Only loopback: this emulator must never send traffic off the machine.
    if parts.hostname not in ("127.0.0.1", "localhost", "::1") and not parts.hostname.startswith(
        "127."
    ):
        raise bad_request("bad webhook: the sandbox delivers webhooks only to 127.0.0.1")
    secret = params.text("secret_token") or ""
    if secret and not SECRET_TOKEN_RE.match(secret):
        raise bad_request("secret token contains unallowed characters")
    allowed = params.obj("allowed_updates")
    if isinstance(allowed, list):
        bot.allowed_updates = [str(kind) for kind in allowed]
    bot.webhook = Webhook(
        url=url,
        secret_token=secret,
        max_connections=params.integer("max_connections") or 40,
        ip_address=params.text("ip_address") or "",
    )
    call.ctx.webhooks.start(bot)
    # Wake a getUpdates that is still waiting so it returns instead of competing.
    bot.update_signal.fire()
    return True


@method("deleteWebhook")
async def delete_webhook(call: Call) -> bool:
    """Stop webhook delivery; queued updates become available to getUpdates."""
    bot = call.bot
    if call.params.flag("drop_pending_updates"):
        bot.updates.clear()
    bot.webhook = None
    call.ctx.webhooks.stop(bot)
    return True


@method("getWebhookInfo")
async def get_webhook_info(call: Call) -> dict:
    """Current webhook and delivery errors."""
    bot = call.bot
    hook = bot.webhook
    info: dict[str, Any] = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(bot.updates),
    }
    if hook is not None:
        info["max_connections"] = hook.max_connections
        if hook.ip_address:
            info["ip_address"] = hook.ip_address
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
        if bot.allowed_updates:
            info["allowed_updates"] = list(bot.allowed_updates)
    return info


@method("sendMessage")
async def send_message(call: Call) -> dict:
    """Send a text message."""
    chat = resolve_chat(call)
    text, entities = resolve_text(
        call, "text", "entities", required=True, limit=MAX_TEXT, too_long="message is too long"
    )
    return new_bot_message(call, chat, with_text({}, "text", text, entities))


async def _send_media(call: Call, kind: str) -> dict:
    chat = resolve_chat(call)
    caption, entities = resolve_text(
        call,
        "caption",
        "caption_entities",
        required=False,
        limit=MAX_CAPTION,
        too_long="message caption is too long",
    )
    stored = file_from_input(call.world, call.params.file(kind), kind)
    content: dict[str, Any] = (
        {"photo": [stored.photo_size()]} if kind == "photo" else {"document": stored.document()}
    )
    return new_bot_message(call, chat, with_text(content, "caption", caption, entities))


@method("sendPhoto")
async def send_photo(call: Call) -> dict:
    """Send a photo (upload or file_id) with an optional caption."""
    return await _send_media(call, "photo")


@method("sendDocument")
async def send_document(call: Call) -> dict:
    """Send a document (upload or file_id) with an optional caption."""
    return await _send_media(call, "document")


@method("editMessageText")
async def edit_message_text(call: Call) -> dict:
    """Edit a bot text message; no reply_markup means the keyboard is removed, like Telegram."""
    chat, stored = edit_target(call)
    if "text" not in stored.data:
        raise bad_request("there is no text in the message to edit")
    text, entities = resolve_text(
        call, "text", "entities", required=True, limit=MAX_TEXT, too_long="message is too long"
    )
    markup = inline_markup_only(call)
    old = stored.data
    if (
        text == old.get("text")
        and entities == old.get("entities", [])
        and markup == old.get("reply_markup")
    ):
        raise bad_request(NOT_MODIFIED)
    changes = with_text({}, "text", text, entities)
    changes.setdefault("entities", None)
    changes["reply_markup"] = markup
    return apply_edit(call, chat, stored, changes)


@method("editMessageCaption")
async def edit_message_caption(call: Call) -> dict:
    """Edit the caption of a bot photo/document message."""
    chat, stored = edit_target(call)
    if "text" in stored.data:
        raise bad_request("there is no caption in the message to edit")
    caption, entities = resolve_text(
        call,
        "caption",
        "caption_entities",
        required=False,
        limit=MAX_CAPTION,
        too_long="message caption is too long",
    )
    markup = inline_markup_only(call)
    old = stored.data
    if (
        caption == old.get("caption")
        and entities == old.get("caption_entities", [])
        and markup == old.get("reply_markup")
    ):
        raise bad_request(NOT_MODIFIED)
    changes = {
        "caption": caption,
        "caption_entities": entities or None,
        "reply_markup": markup,
    }
    return apply_edit(call, chat, stored, changes)


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(call: Call) -> dict:
    """Replace or remove the inline keyboard of a bot message."""
    chat, stored = edit_target(call)
    markup = inline_markup_only(call)
    if markup == stored.data.get("reply_markup"):
        raise bad_request(NOT_MODIFIED)
    return apply_edit(call, chat, stored, {"reply_markup": markup})


@method("deleteMessage")
async def delete_message(call: Call) -> bool:
    """Delete a message from the private chat (either side's, like in Telegram)."""
    chat = resolve_chat(call, check_blocked=False)
    message_id = call.params.integer("message_id")
    stored = chat.get(message_id) if message_id is not None else None
    if stored is None:
        raise bad_request("message to delete not found")
    stored.deleted = True
    chat.saved(stored)
    call.world.emit("delete", chat_id=chat.chat_id, message_id=stored.message_id)
    return True


@method("answerCallbackQuery")
async def answer_callback_query(call: Call) -> bool:
    """Answer a button press once: toast text or alert."""
    params = call.params
    query_id = params.text("callback_query_id") or ""
    query = call.bot.callback_queries.get(query_id)
    if query is None or query.answered:
        raise bad_request(QUERY_TOO_OLD)
    text = params.text("text") or ""
    if len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answered = True
    answer = {
        "callback_query_id": query_id,
        "message_id": query.message_id,
        "data": query.data,
        "text": text,
        "show_alert": params.flag("show_alert"),
        "url": params.text("url"),
        "cache_time": params.integer("cache_time") or 0,
        "date": now(call.world),
        "forged": query.forged,
    }
    chat = call.bot.chats.get(query.chat_id)
    if chat is not None:
        chat.answered(answer)
    call.world.emit("callback_answer", chat_id=query.chat_id, answer=answer)
    return True


@method("sendChatAction")
async def send_chat_action(call: Call) -> bool:
    """Show 'typing…' (or another action) in the chat for about five seconds."""
    chat = resolve_chat(call)
    action = call.params.text("action") or ""
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    call.world.emit("chat_action", chat_id=chat.chat_id, action=action, expires_in=5)
    return True


@method("setMyCommands")
async def set_my_commands(call: Call) -> bool:
    """Store the command list for a scope and language."""
    commands = call.params.obj("commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("too many commands specified")
    clean = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand JSON object")
        command = str(item.get("command", ""))
        description = str(item.get("description", ""))
        if not COMMAND_RE.match(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        clean.append({"command": command, "description": description})
    key = scope_key(call)
    if clean:
        call.bot.commands[key] = clean
    else:
        call.bot.commands.pop(key, None)
    call.world.emit("commands")
    return True


@method("getMyCommands")
async def get_my_commands(call: Call) -> list[dict]:
    """Commands of exactly this scope and language (no fallback, like Telegram)."""
    return copy.deepcopy(call.bot.commands.get(scope_key(call), []))


@method("deleteMyCommands")
async def delete_my_commands(call: Call) -> bool:
    """Remove the command list of a scope and language."""
    call.bot.commands.pop(scope_key(call), None)
    call.world.emit("commands")
    return True


@method("getFile")
async def get_file(call: Call) -> dict:
    """File info with the file_path to download from /file/bot<token>/<file_path>."""
    file_id = call.params.text("file_id") or ""
    stored = call.world.files.get(file_id)
    if stored is None:
        raise bad_request("invalid file_id")
    if len(stored.data) > MAX_DOWNLOAD_BYTES:
        raise bad_request("file is too big")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
        "file_path": stored.file_path,
    }


@method("getChat")
async def get_chat(call: Call) -> dict:
    """Minimal ChatFullInfo of a private chat."""
    chat_id = call.params.chat_id()
    persona = call.world.personas.get(chat_id)
    if persona is None:
        raise bad_request("chat not found")
    return {
        **persona.chat_dict(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": True,
            "limited_gifts": True,
            "unique_gifts": True,
            "premium_subscription": True,
            "gifts_from_channels": True,
        },
    }


def _profile_text(field_name: str) -> tuple[Handler, Handler]:
    """Setter and getter for a per-language profile string (name, description, ...)."""

    async def setter(call: Call) -> bool:
        language = call.params.text("language_code") or ""
        call.bot.profile[(field_name, language)] = call.params.text(field_name) or ""
        return True

    async def getter(call: Call) -> dict:
        language = call.params.text("language_code") or ""
        profile = call.bot.profile
        value = profile.get((field_name, language)) or profile.get((field_name, ""), "")
        if field_name == "name" and not value:
            value = call.world.bot_first_name
        return {field_name: value}

    return setter, getter


for _field, _suffix in (
    ("name", "Name"),
    ("description", "Description"),
    ("short_description", "ShortDescription"),
):
    _setter, _getter = _profile_text(_field)
    method(f"setMy{_suffix}")(_setter)
    method(f"getMy{_suffix}")(_getter)


@method("setChatMenuButton")
async def set_chat_menu_button(call: Call) -> bool:
    """Accepted; the sandbox page always shows the commands menu."""
    return True


@method("getChatMenuButton")
async def get_chat_menu_button(call: Call) -> dict:
    """The default commands menu button."""
    return {"type": "commands"}
