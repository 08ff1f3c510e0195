"""Async client of the sandbox's user-side API, for tests and benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

API = "/sandbox/api"
LONG_POLL_SLICE = 20.0


class SandboxError(Exception):
    """The sandbox refused a user-side request (e.g. pressing a button that is not there)."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(f"{status}: {error}")
        self.status = status
        self.error = error


@dataclass(frozen=True)
class Button:
    """One inline keyboard button."""

    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class SandboxMessage:
    """A chat message as the user sees it (snapshot at the time it was read)."""

    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    text: str | None
    caption: str | None
    entities: list[dict] = field(default_factory=list)
    reply_markup: dict | None = None
    edit_count: int = 0
    edit_date: int | None = None
    deleted: bool = False
    photo: dict | None = None
    document: dict | None = None
    reply_to_message_id: int | None = None
    raw: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_view(cls, view: dict) -> SandboxMessage:
        """Build from the JSON the user-side API returns."""
        return cls(
            message_id=view["message_id"],
            chat_id=view["chat_id"],
            from_bot=view["from_bot"],
            date=view["date"],
            text=view.get("text"),
            caption=view.get("caption"),
            entities=view.get("entities") or [],
            reply_markup=view.get("reply_markup"),
            edit_count=view.get("edit_count", 0),
            edit_date=view.get("edit_date"),
            deleted=view.get("deleted", False),
            photo=view.get("photo"),
            document=view.get("document"),
            reply_to_message_id=view.get("reply_to_message_id"),
            raw=view.get("raw") or {},
        )

    @property
    def body(self) -> str:
        """Text, or caption for media, or an empty string."""
        return self.text or self.caption or ""

    @property
    def edited(self) -> bool:
        """Whether the message was edited at least once."""
        return self.edit_count > 0

    @property
    def keyboard(self) -> list[list[Button]]:
        """Inline keyboard rows."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [
            [Button(b["text"], b.get("callback_data"), b.get("url")) for b in row] for row in rows
        ]

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """All buttons as (label, callback_data), row by row."""
        return [(b.text, b.callback_data) for row in self.keyboard for b in row]

    def find_button(self, *, text: str | None = None, data: str | None = None) -> Button | None:
        """First button whose label contains `text` and/or whose callback_data equals `data`."""
        for row in self.keyboard:
            for button in row:
                if text is not None and text not in button.text:
                    continue
                if data is not None and button.callback_data != data:
                    continue
                return button
        return None


@dataclass(frozen=True)
class CallbackAnswer:
    """The bot's answerCallbackQuery for one of the user's presses."""

    callback_query_id: str
    message_id: int
    data: str
    text: str
    show_alert: bool
    url: str | None
    date: int
    forged: bool

    @classmethod
    def from_json(cls, item: dict) -> CallbackAnswer:
        """Build from the user-side API JSON."""
        return cls(
            callback_query_id=item["callback_query_id"],
            message_id=item["message_id"],
            data=item["data"],
            text=item.get("text") or "",
            show_alert=bool(item.get("show_alert")),
            url=item.get("url"),
            date=item.get("date", 0),
            forged=bool(item.get("forged")),
        )


@dataclass(frozen=True)
class Sent:
    """What sending produced: the update id the bot will receive and the new message."""

    update_id: int | None
    message_id: int
    seq: int
    message: SandboxMessage


@dataclass(frozen=True)
class Pressed:
    """What pressing produced: the callback_query update."""

    update_id: int | None
    callback_query_id: str
    message_id: int
    seq: int


MessagePredicate = Callable[[SandboxMessage], bool]


class SandboxClient:
    """Talks to a running sandbox: SandboxClient(server.url)."""

    def __init__(
        self,
        base_url: str,
        *,
        bot_id: int | None = None,
        timeout: float = 30.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.bot_id = bot_id
        # trust_env=False: loopback traffic must never be routed through an environment proxy.
        self._http = http or httpx.AsyncClient(
            base_url=self.base_url, timeout=timeout + LONG_POLL_SLICE, trust_env=False
        )
        self._owns_http = http is None

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client."""
        if self._owns_http:
            await self._http.aclose()

    async def request(self, method: str, path: str, **kwargs: Any) -> dict:
        """Call the user-side API; raises SandboxError on {"ok": false}."""
        if self.bot_id is not None:
            kwargs.setdefault("params", {})["bot_id"] = self.bot_id
        response = await self._http.request(method, self.base_url + API + path, **kwargs)
        try:
            body = response.json()
        except ValueError:
            raise SandboxError(response.status_code, response.text[:200]) from None
        if response.status_code >= 400 or not body.get("ok"):
            raise SandboxError(response.status_code, body.get("error") or str(body))
        return body

    async def persona(
        self,
        user_id: int,
        first_name: str,
        language_code: str = "zh",
        *,
        last_name: str = "",
        username: str = "",
        note: str = "",
    ) -> SandboxUser:
        """Create or update a persona and act as it (empty optional fields stay unchanged)."""
        payload = {"user_id": user_id, "first_name": first_name, "language_code": language_code}
        # Empty optional fields are left out so updating a persona keeps what it had.
        optional = {"last_name": last_name, "username": username, "note": note}
        payload.update({key: value for key, value in optional.items() if value})
        await self.request("POST", "/personas", json=payload)
        user = SandboxUser(self, user_id, first_name, language_code)
        user.cursor = await self.last_seq()
        return user

    async def personas(self) -> list[dict]:
        """All personas (with a last_message preview)."""
        return (await self.request("GET", "/personas"))["personas"]

    async def info(self) -> dict:
        """Bot identity and server settings."""
        return await self.request("GET", "/info")

    async def last_seq(self) -> int:
        """Sequence number of the newest event."""
        return (await self.request("GET", "/events", params={"after": 1 << 62}))["last_seq"]

    async def events(
        self, after: int = 0, *, wait: float = 0.0, chat_id: int | None = None
    ) -> tuple[list[dict], int]:
        """Events newer than `after`, long-polling up to `wait` seconds; returns (events, last)."""
        params: dict[str, Any] = {"after": after, "timeout": wait}
        if chat_id is not None:
            params["chat_id"] = chat_id
        body = await self.request("GET", "/events", params=params)
        return body["events"], body["last_seq"]

    async def reset(self) -> None:
        """Forget personas, chats, files and pending updates."""
        await self.request("POST", "/reset")

    async def clock(self) -> dict:
        """The sandbox clock: now, local, offset_seconds, next_deadline (`duban sandbox` only)."""
        return await self.request("GET", "/clock")

    async def advance(self, by: str | None = None, *, seconds: float | None = None) -> dict:
        """Move the sandbox clock forward (by 1h, 1wd, next, or seconds) and run the sweep."""
        body: dict[str, Any] = {"by": by} if seconds is None else {"seconds": seconds}
        return await self.request("POST", "/clock/advance", json=body)

    async def file_bytes(self, file_id: str) -> bytes:
        """Download a photo or document shown in a chat."""
        response = await self._http.get(f"{self.base_url}{API}/files/{file_id}")
        if response.status_code != 200:
            raise SandboxError(response.status_code, response.text[:200])
        return response.content


class SandboxUser:
    """Acts as one persona in their private chat with the bot."""

    def __init__(
        self, client: SandboxClient, user_id: int, first_name: str, language_code: str = "zh"
    ) -> None:
        self.client = client
        self.user_id = user_id
        self.first_name = first_name
        self.language_code = language_code
        # Waits look at events after this point: the user's last action or the last match.
        self.cursor = 0

    def __repr__(self) -> str:
        return f"SandboxUser({self.user_id}, {self.first_name!r})"

    @property
    def _chat(self) -> str:
        return f"/chats/{self.user_id}"

    def _sent(self, body: dict) -> Sent:
        self.cursor = max(self.cursor, body["seq"])
        return Sent(
            update_id=body["update_id"],
            message_id=body["message_id"],
            seq=body["seq"],
            message=SandboxMessage.from_view(body["message"]),
        )

    async def send(self, text: str, *, reply_to: int | None = None) -> Sent:
        """Send text; a leading /command is marked as a bot_command like Telegram does."""
        payload: dict[str, Any] = {"text": text}
        if reply_to is not None:
            payload["reply_to_message_id"] = reply_to
        return self._sent(await self.client.request("POST", f"{self._chat}/messages", json=payload))

    async def send_photo(
        self, data: bytes, caption: str | None = None, *, filename: str = "photo.png"
    ) -> Sent:
        """Send a photo (PNG/JPEG/GIF/WebP bytes); sandbox.media.make_png() makes one."""
        form = {"caption": caption} if caption else {}
        body = await self.client.request(
            "POST", f"{self._chat}/photo", files={"file": (filename, data)}, data=form
        )
        return self._sent(body)

    async def send_document(self, data: bytes, filename: str, caption: str | None = None) -> Sent:
        """Send any file as a document."""
        form = {"filename": filename}
        if caption:
            form["caption"] = caption
        body = await self.client.request(
            "POST", f"{self._chat}/document", files={"file": (filename, data)}, data=form
        )
        return self._sent(body)

    async def press(
        self,
        message: SandboxMessage | int,
        *,
        text: str | None = None,
        data: str | None = None,
    ) -> Pressed:
        """Tap the button whose label contains `text` or whose callback_data equals `data`."""
        if text is None and data is None:
            raise ValueError("press() needs text= or data=")
        message_id = message if isinstance(message, int) else message.message_id
        current = await self.message(message_id)
        button = current.find_button(text=text, data=data)
        if button is None or button.callback_data is None:
            raise LookupError(
                f"no callback button matching text={text!r} data={data!r} on message "
                f"{message_id}; buttons: {current.buttons}"
            )
        return await self._press("press", message_id, button.callback_data)

    async def press_raw(self, message_id: int, data: str) -> Pressed:
        """Send a forged callback_query with any data, as a tampered client could."""
        return await self._press("press_raw", message_id, data)

    async def _press(self, endpoint: str, message_id: int, data: str) -> Pressed:
        body = await self.client.request(
            "POST",
            f"{self._chat}/{endpoint}",
            json={"message_id": message_id, "callback_data": data},
        )
        self.cursor = max(self.cursor, body["seq"])
        return Pressed(
            update_id=body["update_id"],
            callback_query_id=body["callback_query_id"],
            message_id=body["message_id"],
            seq=body["seq"],
        )

    async def chat(self, *, include_deleted: bool = False) -> dict:
        """The raw chat JSON (messages, callback_answers, reply_keyboard)."""
        params = {"include_deleted": "1"} if include_deleted else None
        return await self.client.request("GET", self._chat, params=params)

    async def messages(self, *, include_deleted: bool = False) -> list[SandboxMessage]:
        """Every message of the chat in order, both directions, in their current state."""
        body = await self.chat(include_deleted=include_deleted)
        return [SandboxMessage.from_view(view) for view in body["messages"]]

    async def bot_messages(self) -> list[SandboxMessage]:
        """The bot's messages in order, in their current state."""
        return [m for m in await self.messages() if m.from_bot]

    async def last_bot_message(self) -> SandboxMessage | None:
        """The bot's newest message, if any."""
        found = await self.bot_messages()
        return found[-1] if found else None

    async def message(self, message_id: int) -> SandboxMessage:
        """One message in its current state."""
        for item in await self.messages():
            if item.message_id == message_id:
                return item
        raise LookupError(f"message {message_id} not found in chat {self.user_id}")

    async def callback_answers(self) -> list[CallbackAnswer]:
        """The bot's answers to this user's button presses, oldest first."""
        body = await self.chat()
        return [CallbackAnswer.from_json(item) for item in body["callback_answers"]]

    async def block(self, blocked: bool = True) -> None:
        """Block (or unblock) the bot: its sends to this user then fail with 403."""
        await self.client.request(
            "POST", f"/personas/{self.user_id}/block", json={"blocked": blocked}
        )

    async def _wait_event(
        self, accept: Callable[[dict], Any], after: int | Sent | Pressed | None, seconds: float
    ) -> Any:
        cursor = self.cursor if after is None else (after if isinstance(after, int) else after.seq)
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            events, _ = await self.client.events(
                cursor, wait=min(remaining, LONG_POLL_SLICE), chat_id=self.user_id
            )
            for event in events:
                cursor = event["seq"]
                result = accept(event)
                if result is not None:
                    self.cursor = max(self.cursor, cursor)
                    return result

    async def wait_for_bot_message(
        self,
        predicate: MessagePredicate | None = None,
        *,
        after: int | Sent | Pressed | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - a plain deadline, the test-facing API
        edits: bool = True,
    ) -> SandboxMessage:
        """Next bot message (new, or edited if `edits`) matching predicate, after your last action.

        Waits consume events: the next wait starts after the message returned here. Pass
        `after` (an event seq, a Sent or a Pressed) to look from another point.
        """
        kinds = ("message", "edit") if edits else ("message",)

        def accept(event: dict) -> SandboxMessage | None:
            if event["type"] not in kinds or not event["message"]["from_bot"]:
                return None
            message = SandboxMessage.from_view(event["message"])
            return message if predicate is None or predicate(message) else None

        found = await self._wait_event(accept, after, timeout)
        if found is None:
            seen = [m.body[:80] for m in await self.bot_messages()]
            raise TimeoutError(
                f"no matching bot message for {self!r} within {timeout}s; bot messages: {seen}"
            )
        return found

    async def wait_for_edit(
        self,
        message: SandboxMessage | int,
        predicate: MessagePredicate | None = None,
        *,
        after: int | Sent | Pressed | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - a plain deadline, the test-facing API
    ) -> SandboxMessage:
        """Next edit of a given message (optionally matching predicate)."""
        message_id = message if isinstance(message, int) else message.message_id

        def accept(event: dict) -> SandboxMessage | None:
            if event["type"] != "edit" or event["message"]["message_id"] != message_id:
                return None
            edited = SandboxMessage.from_view(event["message"])
            return edited if predicate is None or predicate(edited) else None

        found = await self._wait_event(accept, after, timeout)
        if found is None:
            raise TimeoutError(f"message {message_id} was not edited within {timeout}s")
        return found

    async def wait_for_callback_answer(
        self,
        *,
        after: int | Sent | Pressed | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - a plain deadline, the test-facing API
    ) -> CallbackAnswer:
        """Next answerCallbackQuery for this user's presses."""

        def accept(event: dict) -> CallbackAnswer | None:
            if event["type"] != "callback_answer":
                return None
            return CallbackAnswer.from_json(event["answer"])

        found = await self._wait_event(accept, after, timeout)
        if found is None:
            raise TimeoutError(f"no callback answer for {self!r} within {timeout}s")
        return found
