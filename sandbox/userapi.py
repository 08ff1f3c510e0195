"""User-side JSON API under /sandbox/api/: act as personas and read chats (tests, page)."""

from __future__ import annotations

import copy
import functools
import json
import mimetypes
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from sandbox.botapi import MAX_CAPTION, MAX_TEXT, commands_for_chat, now
from sandbox.context import CONTEXT, SandboxContext
from sandbox.control import ControlError, SandboxControl
from sandbox.media import image_info
from sandbox.state import BotState, CallbackQuery, Chat, Persona, World, message_view
from sandbox.textparse import command_entities

PREFIX = "/sandbox/api"
MAX_LONG_POLL = 60.0

_dumps = functools.partial(json.dumps, ensure_ascii=False)


class UserApiError(Exception):
    """An error answered as {"ok": false, "error": ...} with an HTTP status."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


def ok(**payload: Any) -> web.Response:
    """A successful JSON answer."""
    return web.json_response({"ok": True, **payload}, dumps=_dumps)


Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


def guarded(func: Route) -> Route:
    """Turn UserApiError into a JSON error answer."""

    @functools.wraps(func)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return await func(request)
        except UserApiError as exc:
            return web.json_response(
                {"ok": False, "error": exc.error}, status=exc.status, dumps=_dumps
            )

    return wrapper


def _ctx(request: web.Request) -> SandboxContext:
    return request.app[CONTEXT]


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UserApiError(400, f"{name} must be an integer") from None


def _bot(request: web.Request) -> BotState:
    bot_id = request.query.get("bot_id")
    return _ctx(request).world.bot(None if bot_id in (None, "") else _int(bot_id, "bot_id"))


def _persona(world: World, request: web.Request) -> Persona:
    user_id = _int(request.match_info["user_id"], "user_id")
    persona = world.personas.get(user_id)
    if persona is None:
        raise UserApiError(404, f"no persona with user_id {user_id}; create it first")
    return persona


async def _json_body(request: web.Request) -> dict:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise UserApiError(400, "body must be JSON") from None
    if not isinstance(body, dict):
        raise UserApiError(400, "body must be a JSON object")
    return body


def _user_message(world: World, bot: BotState, persona: Persona, chat: Chat, content: dict) -> dict:
    """Store a message from the persona, queue its update, announce it; returns ids."""
    data: dict[str, Any] = {
        "message_id": 0,
        "from": persona.user_dict(),
        "chat": persona.chat_dict(),
        "date": now(world),
    }
    reply_to = content.pop("reply_to_message_id", None)
    if reply_to is not None:
        target = chat.get(_int(reply_to, "reply_to_message_id"))
        if target is None:
            raise UserApiError(400, f"message {reply_to} to reply to not found")
        replied = copy.deepcopy(target.data)
        replied.pop("reply_to_message", None)
        data["reply_to_message"] = replied
    data.update(content)
    # Writing to a bot you blocked unblocks it, as in Telegram.
    if persona.blocked:
        persona.blocked = False
        world.persona_changed(persona)
    stored = chat.add(data, from_bot=False)
    stored.update_id = bot.enqueue("message", copy.deepcopy(data))
    chat.saved(stored)
    seq = world.emit("message", chat_id=chat.chat_id, message=message_view(stored))
    return {
        "update_id": stored.update_id,
        "message_id": stored.message_id,
        "seq": seq,
        "message": message_view(stored),
    }


# --- routes -----------------------------------------------------------------------------------


@guarded
async def info(request: web.Request) -> web.Response:
    """Bot identity and server settings."""
    ctx = _ctx(request)
    bot = _bot(request)
    return ok(
        bot=ctx.world.bot_user(bot),
        bot_id=bot.bot_id,
        rate_limits=ctx.limiter is not None,
        fault_rate=ctx.faults.rate,
        faults_injected=dict(ctx.faults.injected),
        last_seq=ctx.world.seq,
        epoch=ctx.world.epoch,
        pending_updates=len(bot.updates),
        webhook=bot.webhook.url if bot.webhook else "",
    )


@guarded
async def list_personas(request: web.Request) -> web.Response:
    """All personas with a preview of their chat."""
    world = _ctx(request).world
    bot = _bot(request)
    personas = []
    for persona in world.personas.values():
        item = persona.to_json()
        chat = bot.chats.get(persona.user_id)
        last = None
        if chat is not None:
            alive = [m for m in chat.messages.values() if not m.deleted]
            last = message_view(alive[-1]) if alive else None
        item["last_message"] = last
        personas.append(item)
    return ok(personas=personas)


@guarded
async def upsert_persona(request: web.Request) -> web.Response:
    """Create or update a persona from {user_id, first_name, last_name, username, ...}."""
    world = _ctx(request).world
    body = await _json_body(request)
    user_id = _int(body.get("user_id"), "user_id")
    if user_id <= 0:
        raise UserApiError(400, "user_id must be positive")
    existing = world.personas.get(user_id)
    first_name = str(body.get("first_name") or (existing.first_name if existing else "")).strip()
    if not first_name:
        raise UserApiError(400, "first_name is required")
    fields = {
        key: str(body[key])
        for key in ("last_name", "username", "language_code", "note")
        if body.get(key) is not None
    }
    persona = world.add_persona(user_id, first_name, **fields)
    return ok(persona=persona.to_json())


@guarded
async def block_persona(request: web.Request) -> web.Response:
    """Make the persona block (or unblock) the bot: sends then fail with 403."""
    world = _ctx(request).world
    persona = _persona(world, request)
    body = await _json_body(request)
    persona.blocked = bool(body.get("blocked", True))
    world.persona_changed(persona)
    return ok(persona=persona.to_json())


@guarded
async def read_chat(request: web.Request) -> web.Response:
    """Every message of the chat in order, with edits, attachments and callback answers."""
    ctx = _ctx(request)
    persona = _persona(ctx.world, request)
    bot = _bot(request)
    chat = ctx.world.chat(bot, persona.user_id)
    include_deleted = request.query.get("include_deleted") in ("1", "true")
    messages = [message_view(m) for m in chat.messages.values() if include_deleted or not m.deleted]
    return ok(
        persona=persona.to_json(),
        messages=messages,
        callback_answers=copy.deepcopy(chat.callback_answers),
        reply_keyboard=chat.reply_keyboard,
        last_seq=ctx.world.seq,
    )


@guarded
async def send_text(request: web.Request) -> web.Response:
    """The persona sends text; /commands get bot_command entities."""
    ctx = _ctx(request)
    persona = _persona(ctx.world, request)
    bot = _bot(request)
    body = await _json_body(request)
    text = str(body.get("text") or "")
    if not text.strip():
        raise UserApiError(400, "text is empty")
    if len(text) > MAX_TEXT:
        raise UserApiError(400, "text is longer than 4096 characters")
    content: dict[str, Any] = {"text": text}
    entities = command_entities(text)
    if entities:
        content["entities"] = entities
    if body.get("reply_to_message_id") is not None:
        content["reply_to_message_id"] = body["reply_to_message_id"]
    chat = ctx.world.chat(bot, persona.user_id)
    return ok(**_user_message(ctx.world, bot, persona, chat, content))


async def _read_upload(request: web.Request) -> tuple[bytes, str, str, str | None, Any]:
    if request.content_type != "multipart/form-data":
        raise UserApiError(400, "send the file as multipart/form-data with a 'file' part")
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        raise UserApiError(400, "missing 'file' part")
    data = upload.file.read()
    if not data:
        raise UserApiError(400, "file is empty")
    filename = str(form.get("filename") or upload.filename or "file")
    caption = form.get("caption")
    caption = str(caption) if caption else None
    if caption is not None and len(caption) > MAX_CAPTION:
        raise UserApiError(400, "caption is longer than 1024 characters")
    return data, filename, upload.content_type or "", caption, form.get("reply_to_message_id")


@guarded
async def send_photo(request: web.Request) -> web.Response:
    """The persona sends a photo (multipart 'file', optional 'caption')."""
    ctx = _ctx(request)
    persona = _persona(ctx.world, request)
    bot = _bot(request)
    data, _filename, _ctype, caption, reply_to = await _read_upload(request)
    image = image_info(data)
    if image is None:
        raise UserApiError(400, "not an image (PNG, JPEG, GIF or WebP expected)")
    mime, width, height = image
    stored = ctx.world.store_file(
        data,
        "photo",
        mime_type=mime,
        extension={"image/png": ".png", "image/gif": ".gif"}.get(mime, ".jpg"),
        width=width,
        height=height,
    )
    content: dict[str, Any] = {"photo": [stored.photo_size()]}
    if caption:
        content["caption"] = caption
    if reply_to:
        content["reply_to_message_id"] = reply_to
    chat = ctx.world.chat(bot, persona.user_id)
    return ok(**_user_message(ctx.world, bot, persona, chat, content))


@guarded
async def send_document(request: web.Request) -> web.Response:
    """The persona sends a document (multipart 'file', optional 'filename', 'caption')."""
    ctx = _ctx(request)
    persona = _persona(ctx.world, request)
    bot = _bot(request)
    data, filename, ctype, caption, reply_to = await _read_upload(request)
    guessed, _ = mimetypes.guess_type(filename)
    extension = "." + filename.rsplit(".", 1)[1] if "." in filename else ""
    stored = ctx.world.store_file(
        data,
        "document",
        mime_type=guessed or ctype or "application/octet-stream",
        file_name=filename,
        extension=extension,
    )
    content: dict[str, Any] = {"document": stored.document()}
    if caption:
        content["caption"] = caption
    if reply_to:
        content["reply_to_message_id"] = reply_to
    chat = ctx.world.chat(bot, persona.user_id)
    return ok(**_user_message(ctx.world, bot, persona, chat, content))


async def _press(request: web.Request, *, forged: bool) -> web.Response:
    ctx = _ctx(request)
    world = ctx.world
    persona = _persona(world, request)
    bot = _bot(request)
    body = await _json_body(request)
    message_id = _int(body.get("message_id"), "message_id")
    data = body.get("callback_data")
    if not isinstance(data, str):
        raise UserApiError(400, "callback_data must be a string")
    chat = world.chat(bot, persona.user_id)
    stored = chat.get(message_id)
    if not forged:
        # A real client can only press buttons that are on the message right now.
        if stored is None:
            raise UserApiError(400, f"message {message_id} not found in this chat")
        datas = [b.get("callback_data") for b in stored.inline_buttons()]
        if data not in datas:
            raise UserApiError(
                400,
                f"message {message_id} has no button with callback_data {data!r}; "
                f"current buttons: {datas}",
            )
    query_id = world.new_query_id()
    callback: dict[str, Any] = {
        "id": query_id,
        "from": persona.user_dict(),
        "chat_instance": str((persona.user_id * 1_000_003 + (bot.bot_id or 0)) % 2**62),
        "data": data,
    }
    if stored is not None:
        callback["message"] = copy.deepcopy(stored.data)
    else:
        # Telegram sends an InaccessibleMessage (date 0) for messages the bot cannot see.
        callback["message"] = {"chat": persona.chat_dict(), "message_id": message_id, "date": 0}
    bot.callback_queries[query_id] = CallbackQuery(
        query_id=query_id,
        chat_id=persona.user_id,
        message_id=message_id,
        user_id=persona.user_id,
        data=data,
        forged=forged,
    )
    update_id = bot.enqueue("callback_query", callback)
    seq = world.emit(
        "press",
        chat_id=persona.user_id,
        message_id=message_id,
        callback_data=data,
        callback_query_id=query_id,
        forged=forged,
    )
    return ok(update_id=update_id, callback_query_id=query_id, message_id=message_id, seq=seq)


@guarded
async def press(request: web.Request) -> web.Response:
    """Press an inline button that is really on the message: {message_id, callback_data}."""
    return await _press(request, forged=False)


@guarded
async def press_raw(request: web.Request) -> web.Response:
    """Send any callback_data for any message id, as a tampered client could."""
    return await _press(request, forged=True)


@guarded
async def events(request: web.Request) -> web.Response:
    """Long-poll for events after a sequence number: ?after=N&timeout=S[&chat_id=X]."""
    ctx = _ctx(request)
    after = _int(request.query.get("after", "0"), "after")
    timeout = min(float(request.query.get("timeout", "0") or 0), MAX_LONG_POLL)
    chat_id = request.query.get("chat_id")
    chat = _int(chat_id, "chat_id") if chat_id else None
    found = await ctx.world.wait_events(after, timeout, chat)
    return ok(events=found, last_seq=ctx.world.seq, epoch=ctx.world.epoch)


@guarded
async def commands(request: web.Request) -> web.Response:
    """The command menu a Telegram client would show this persona."""
    world = _ctx(request).world
    bot = _bot(request)
    user_id = request.query.get("user_id")
    if user_id:
        persona = world.personas.get(_int(user_id, "user_id"))
        language = persona.language_code if persona else ""
        found = commands_for_chat(bot, _int(user_id, "user_id"), language)
    else:
        found = commands_for_chat(bot, 0, "")
    return ok(commands=found)


@guarded
async def file_bytes(request: web.Request) -> web.StreamResponse:
    """Bytes of a photo or document, for showing them on the page."""
    stored = _ctx(request).world.files.get(request.match_info["file_id"])
    if stored is None:
        raise UserApiError(404, "file not found")
    headers = {}
    if stored.file_name:
        headers["Content-Disposition"] = f'inline; filename="{stored.file_name}"'
    return web.Response(body=stored.data, content_type=stored.mime_type, headers=headers)


def _control(request: web.Request) -> SandboxControl:
    control = _ctx(request).control
    if control is None:
        raise UserApiError(404, "no sandbox clock here: it exists only under `duban sandbox`")
    return control


async def _controlled(call: Awaitable[dict[str, Any]]) -> web.Response:
    try:
        return ok(**await call)
    except ControlError as exc:
        raise UserApiError(exc.status, exc.message) from None


@guarded
async def clock(request: web.Request) -> web.Response:
    """The sandbox clock: {now, local, offset_seconds, next_deadline}."""
    return await _controlled(_control(request).clock())


@guarded
async def clock_advance(request: web.Request) -> web.Response:
    """Move the clock forward ({"by": "1h" | "1wd" | "next"} or {"seconds": n}), then sweep."""
    control = _control(request)
    body = await _json_body(request)
    return await _controlled(control.advance(body))


@guarded
async def reset(request: web.Request) -> web.Response:
    """Forget personas, chats, files and pending updates; under `duban sandbox` a fresh demo."""
    ctx = _ctx(request)
    if ctx.limiter is not None:
        ctx.limiter.reset()
    if ctx.control is not None:
        return await _controlled(ctx.control.reset())
    ctx.world.reset()
    return ok(last_seq=ctx.world.seq)


def add_routes(app: web.Application) -> None:
    """Mount the user-side API."""
    router = app.router
    router.add_get(f"{PREFIX}/info", info)
    router.add_get(f"{PREFIX}/personas", list_personas)
    router.add_post(f"{PREFIX}/personas", upsert_persona)
    router.add_post(f"{PREFIX}/personas/{{user_id}}/block", block_persona)
    router.add_get(f"{PREFIX}/chats/{{user_id}}", read_chat)
    router.add_post(f"{PREFIX}/chats/{{user_id}}/messages", send_text)
    router.add_post(f"{PREFIX}/chats/{{user_id}}/photo", send_photo)
    router.add_post(f"{PREFIX}/chats/{{user_id}}/document", send_document)
    router.add_post(f"{PREFIX}/chats/{{user_id}}/press", press)
    router.add_post(f"{PREFIX}/chats/{{user_id}}/press_raw", press_raw)
    router.add_get(f"{PREFIX}/events", events)
    router.add_get(f"{PREFIX}/commands", commands)
    router.add_get(f"{PREFIX}/files/{{file_id}}", file_bytes)
    router.add_post(f"{PREFIX}/reset", reset)
    router.add_get(f"{PREFIX}/clock", clock)
    router.add_post(f"{PREFIX}/clock/advance", clock_advance)
