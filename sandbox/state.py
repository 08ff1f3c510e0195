"""In-memory world of the Telegram emulator: personas, bots, chats, updates, files, events."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from sandbox.store import SandboxStore, Snapshot

BOT_FIRST_NAME = "督办 duban"
# Telegram's default when allowed_updates was never set: everything except these.
NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
FIRST_UPDATE_ID = 500_000_001


class ApiError(Exception):
    """A Bot API error answered as {"ok": false, "error_code", "description", "parameters"}."""

    def __init__(self, code: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(message: str) -> ApiError:
    """A 400 `Bad Request: ...` error."""
    return ApiError(400, f"Bad Request: {message}")


class Signal:
    """Wakes every current waiter when fired; waiters re-check their condition afterwards."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        """Wake all waiters."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> bool:
        """Wait up to `seconds` for the next fire(); False on timeout."""
        event = self._event
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
        # races with the event being set, leaving a cancelled task running.
        try:
            async with asyncio.timeout(seconds):
                await event.wait()
        except TimeoutError:
            return False
        return True


@dataclass
class Persona:
    """A simulated Telegram user; their private chat id equals their user id."""

    user_id: int
    first_name: str
    last_name: str = ""
    username: str = ""
    language_code: str = "zh"
    note: str = ""
    blocked: bool = False

    def user_dict(self) -> dict:
        """Telegram User object."""
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def chat_dict(self) -> dict:
        """Telegram Chat object of the private chat with this user."""
        chat: dict[str, Any] = {
            "id": self.user_id,
            "type": "private",
            "first_name": self.first_name,
        }
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat

    def to_json(self) -> dict:
        """Persona as shown by the user-side API."""
        return {
            "user_id": self.user_id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "username": self.username,
            "language_code": self.language_code,
            "note": self.note,
            "blocked": self.blocked,
        }


@dataclass
class StoredFile:
    """Bytes behind a file_id."""

    file_id: str
    file_unique_id: str
    kind: str  # "photo" or "document"
    data: bytes
    file_path: str
    mime_type: str
    file_name: str = ""
    width: int = 0
    height: int = 0

    def photo_size(self) -> dict:
        """Telegram PhotoSize object."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width,
            "height": self.height,
            "file_size": len(self.data),
        }

    def document(self) -> dict:
        """Telegram Document object."""
        doc: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "mime_type": self.mime_type,
        }
        if self.file_name:
            doc["file_name"] = self.file_name
        return doc


@dataclass
class StoredMessage:
    """A message in a chat, in Telegram shape, plus what the emulator tracks about it."""

    data: dict
    from_bot: bool
    edit_count: int = 0
    deleted: bool = False
    update_id: int | None = None

    @property
    def message_id(self) -> int:
        return self.data["message_id"]

    def inline_buttons(self) -> list[dict]:
        """All buttons of the current inline keyboard."""
        markup = self.data.get("reply_markup") or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]


@dataclass
class Chat:
    """A private chat between one bot and one persona."""

    chat_id: int
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    callback_answers: list[dict] = field(default_factory=list)
    reply_keyboard: dict | None = None
    # Where this chat is written through to; None for chats that are not kept (other bots).
    store: SandboxStore | None = field(default=None, repr=False)

    def add(self, data: dict, *, from_bot: bool) -> StoredMessage:
        """Store a new message, assigning the chat's next message_id."""
        data["message_id"] = self.next_message_id
        self.next_message_id += 1
        stored = StoredMessage(data=data, from_bot=from_bot)
        self.messages[stored.message_id] = stored
        self.saved(stored)
        return stored

    def saved(self, stored: StoredMessage | None = None) -> None:
        """Write the chat (and a new or changed message) through to the store."""
        if self.store is None:
            return
        self.store.save_chat(self.chat_id, self.next_message_id, self.reply_keyboard)
        if stored is not None:
            self.store.save_message(
                self.chat_id,
                stored.data,
                from_bot=stored.from_bot,
                edit_count=stored.edit_count,
                deleted=stored.deleted,
                update_id=stored.update_id,
            )

    def answered(self, answer: dict) -> None:
        """Keep a callback answer."""
        self.callback_answers.append(answer)
        if self.store is not None:
            self.store.add_callback_answer(self.chat_id, answer)

    def get(self, message_id: int) -> StoredMessage | None:
        """A message that has not been deleted."""
        stored = self.messages.get(message_id)
        return None if stored is None or stored.deleted else stored


@dataclass
class CallbackQuery:
    """A button press waiting for answerCallbackQuery."""

    query_id: str
    chat_id: int
    message_id: int
    user_id: int
    data: str
    forged: bool
    answered: bool = False


@dataclass
class Webhook:
    """Webhook configuration and delivery statistics of one bot."""

    url: str
    secret_token: str = ""
    max_connections: int = 40
    ip_address: str = ""
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: int = 0


class BotState:
    """Everything Telegram keeps per bot: chats, the update queue, webhook, commands."""

    def __init__(self, bot_id: int | None) -> None:
        self.bot_id = bot_id
        self.chats: dict[int, Chat] = {}
        self.updates: list[dict] = []
        self.next_update_id = FIRST_UPDATE_ID
        self.update_signal = Signal()
        self.allowed_updates: list[str] = []
        self.webhook: Webhook | None = None
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.callback_queries: dict[str, CallbackQuery] = {}
        self.profile: dict[tuple[str, str], str] = {}
        self.poller: Any = None  # the aiohttp request currently long-polling getUpdates
        # Keeps next_update_id across restarts: the bot's inbox takes update ids as unique.
        self.store: SandboxStore | None = None

    def clear_conversations(self) -> None:
        """Forget chats, pending updates and callback queries; keep configuration."""
        self.chats.clear()
        self.updates.clear()
        self.callback_queries.clear()
        self.update_signal.fire()

    def enqueue(self, kind: str, payload: dict) -> int | None:
        """Queue an update unless allowed_updates filters it out; returns its update_id."""
        allowed = set(self.allowed_updates) if self.allowed_updates else None
        if allowed is not None and kind not in allowed:
            return None
        if allowed is None and kind in NOT_DEFAULT_UPDATES:
            return None
        update_id = self.next_update_id
        self.next_update_id += 1
        if self.store is not None:
            self.store.set_meta("next_update_id", self.next_update_id)
        self.updates.append({"update_id": update_id, kind: payload})
        self.update_signal.fire()
        return update_id

    def confirm(self, offset: int | None) -> None:
        """Apply getUpdates' offset: confirm earlier updates, or keep only the last -offset."""
        if not offset:
            return
        if offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        else:
            self.updates = self.updates[offset:]


class World:
    """The whole emulated Telegram, as seen by bots and by the user-side API."""

    def __init__(self, bot_username: str = "duban_bot", store: SandboxStore | None = None) -> None:
        self.bot_username = bot_username
        # The primary bot's chats, the personas, files and the clock are written through here.
        self.store = store
        # Seconds the sandbox clock is ahead of real time; only ever grows (see clock_advance).
        self.clock_offset = 0.0
        self.bot_first_name = BOT_FIRST_NAME
        self.personas: dict[int, Persona] = {}
        self.primary = BotState(None)
        self.primary.store = store
        self.bots: dict[int, BotState] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.events: list[dict] = []
        self.seq = 0
        # Sequence numbers restart with the process: a page left open tells runs apart by this.
        self.epoch = secrets.token_hex(8)
        self.event_signal = Signal()
        # Set while the server shuts down so long polls return at once.
        self.closing = False
        self._file_counter = itertools.count(1)
        self._query_counter = itertools.count(int(time.time()) * 1000)

    # --- bots -------------------------------------------------------------------------------

    def bot(self, bot_id: int | None) -> BotState:
        """State of a bot; the first bot id seen claims the primary state used by the user API."""
        if bot_id is None:
            return self.primary
        found = self.bots.get(bot_id)
        if found is not None:
            return found
        state = self.primary if self.primary.bot_id is None else BotState(bot_id)
        state.bot_id = bot_id
        self.bots[bot_id] = state
        return state

    def bot_user(self, bot: BotState) -> dict:
        """The bot's Telegram User object."""
        return {
            "id": bot.bot_id or 0,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # --- personas and chats -----------------------------------------------------------------

    def add_persona(self, user_id: int, first_name: str, **fields: Any) -> Persona:
        """Create or update a persona and announce it to event listeners."""
        persona = self.personas.get(user_id)
        if persona is None:
            persona = Persona(user_id=user_id, first_name=first_name)
            self.personas[user_id] = persona
        persona.first_name = first_name
        for key, value in fields.items():
            if value is not None:
                setattr(persona, key, value)
        self.persona_changed(persona)
        return persona

    def persona_changed(self, persona: Persona) -> None:
        """Keep the persona and announce it to event listeners."""
        if self.store is not None:
            self.store.save_persona(persona.to_json())
        self.emit("persona", chat_id=persona.user_id, persona=persona.to_json())

    def chat(self, bot: BotState, chat_id: int) -> Chat:
        """The private chat of a bot with a persona; `chat not found` for anyone else."""
        if chat_id not in self.personas:
            raise bad_request("chat not found")
        chat = bot.chats.get(chat_id)
        if chat is None:
            store = self.store if bot is self.primary else None
            chat = bot.chats[chat_id] = Chat(chat_id, store=store)
            chat.saved()
        return chat

    def new_query_id(self) -> str:
        """A fresh callback query id (Telegram uses long numeric strings)."""
        return str(next(self._query_counter))

    # --- files ------------------------------------------------------------------------------

    def store_file(
        self,
        data: bytes,
        kind: str,
        *,
        mime_type: str,
        file_name: str = "",
        extension: str = "",
        width: int = 0,
        height: int = 0,
    ) -> StoredFile:
        """Keep uploaded bytes and mint Telegram-looking file ids for them."""
        number = next(self._file_counter)
        prefix = "AgACAgUAAxkBAAI" if kind == "photo" else "BQACAgUAAxkBAAI"
        folder = "photos" if kind == "photo" else "documents"
        stored = StoredFile(
            file_id=prefix + secrets.token_urlsafe(30),
            file_unique_id=f"AQAD{number:05d}" + secrets.token_urlsafe(6),
            kind=kind,
            data=data,
            file_path=f"{folder}/file_{number}{extension}",
            mime_type=mime_type,
            file_name=file_name,
            width=width,
            height=height,
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        if self.store is not None:
            self.store.save_file(dataclasses.asdict(stored))
            self.store.set_meta("file_counter", number)
        return stored

    def load(self) -> None:
        """Restore the personas, chats, files and clock the store kept (once, before serving)."""
        if self.store is None:
            return
        found = self.store.snapshot()
        self.clock_offset = float(found.meta.get("clock_offset", 0.0))
        next_update = int(found.meta.get("next_update_id", FIRST_UPDATE_ID))
        self.primary.next_update_id = max(self.primary.next_update_id, next_update)
        self._file_counter = itertools.count(int(found.meta.get("file_counter", 0)) + 1)
        for body in found.personas:
            self.personas[body["user_id"]] = Persona(**body)
        self._load_chats(found)
        for row in found.files:
            stored = StoredFile(**row)
            self.files[stored.file_id] = stored
            self.files_by_path[stored.file_path] = stored

    def _load_chats(self, found: Snapshot) -> None:
        chats = self.primary.chats
        for chat_id, next_id, keyboard in found.chats:
            chats[chat_id] = Chat(
                chat_id, next_message_id=next_id, reply_keyboard=keyboard, store=self.store
            )
        for chat_id, data, from_bot, edits, deleted, update_id in found.messages:
            chat = chats.setdefault(chat_id, Chat(chat_id, store=self.store))
            chat.messages[data["message_id"]] = StoredMessage(
                data=data, from_bot=from_bot, edit_count=edits, deleted=deleted, update_id=update_id
            )
            chat.next_message_id = max(chat.next_message_id, data["message_id"] + 1)
        for chat_id, answer in found.callback_answers:
            if chat_id in chats:
                chats[chat_id].callback_answers.append(answer)

    # --- the sandbox clock ------------------------------------------------------------------

    def time(self) -> float:
        """Unix time on the sandbox clock: real time plus the offset."""
        return time.time() + self.clock_offset

    def set_clock_offset(self, seconds: float) -> None:
        """Move the clock to ``seconds`` ahead of real time (callers refuse going back)."""
        self.clock_offset = float(seconds)
        if self.store is not None:
            self.store.set_meta("clock_offset", self.clock_offset)
        self.emit("clock", offset_seconds=self.clock_offset)

    # --- events for the web page and tests --------------------------------------------------

    def emit(self, kind: str, *, chat_id: int | None = None, **payload: Any) -> int:
        """Append an event (message, edit, delete, callback_answer, chat_action, ...)."""
        self.seq += 1
        event = {"seq": self.seq, "type": kind, "chat_id": chat_id, "time": time.time()}
        event.update(payload)
        self.events.append(event)
        self.event_signal.fire()
        return self.seq

    def events_after(self, after: int, chat_id: int | None = None) -> list[dict]:
        """Events newer than `after`, optionally only for one chat (plus global ones)."""
        start = len(self.events)
        # Events are appended in seq order, so scan back only as far as needed.
        while start > 0 and self.events[start - 1]["seq"] > after:
            start -= 1
        found = self.events[start:]
        if chat_id is not None:
            found = [e for e in found if e["chat_id"] in (None, chat_id)]
        return found

    async def wait_events(self, after: int, seconds: float, chat_id: int | None) -> list[dict]:
        """Long-poll: events newer than `after`, waiting up to `seconds` for one."""
        deadline = time.monotonic() + max(0.0, seconds)
        if after > self.seq:
            # Numbers from an earlier run of the server: answer now so the caller starts over.
            return []
        while True:
            found = self.events_after(after, chat_id)
            remaining = deadline - time.monotonic()
            if found or remaining <= 0 or self.closing:
                return found
            await self.event_signal.wait(remaining)

    def reset(self) -> None:
        """Forget personas, chats, files and pending updates; bot configuration stays."""
        if self.store is not None:
            self.store.clear()
            self.store.set_meta("next_update_id", self.primary.next_update_id)
        self.clock_offset = 0.0
        self.personas.clear()
        self.files.clear()
        self.files_by_path.clear()
        self.primary.clear_conversations()
        for bot in self.bots.values():
            bot.clear_conversations()
        self.emit("reset")


def message_view(stored: StoredMessage) -> dict:
    """A message as the user-side API and the web page see it."""
    data = stored.data
    view: dict[str, Any] = {
        "message_id": data["message_id"],
        "chat_id": data["chat"]["id"],
        "from_bot": stored.from_bot,
        "date": data["date"],
        "text": data.get("text"),
        "caption": data.get("caption"),
        "entities": data.get("entities", []),
        "caption_entities": data.get("caption_entities", []),
        "reply_markup": data.get("reply_markup"),
        "edit_count": stored.edit_count,
        "edit_date": data.get("edit_date"),
        "deleted": stored.deleted,
        "reply_to_message_id": (data.get("reply_to_message") or {}).get("message_id"),
        "update_id": stored.update_id,
        "photo": None,
        "document": None,
    }
    if data.get("photo"):
        largest = dict(data["photo"][-1])
        largest["url"] = f"/sandbox/api/files/{largest['file_id']}"
        view["photo"] = largest
    if data.get("document"):
        doc = dict(data["document"])
        doc["url"] = f"/sandbox/api/files/{doc['file_id']}"
        view["document"] = doc
    view["raw"] = copy.deepcopy(data)
    return view
