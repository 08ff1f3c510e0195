"""One reader of the emulator's event stream that hands each answer to whoever waits for it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.client import SandboxClient

POLL_SLICE = 1.0

log = logging.getLogger("benchmarks.intake")


@dataclass
class Waiter:
    after: int
    accept: Callable[[str], Any]
    future: asyncio.Future


class Inbox:
    """Reads the emulator's event stream once for everybody and hands out answers.

    A bot message goes to the first waiter of its chat whose ``accept`` takes it; messages
    nobody takes (notifications, or answers that beat their waiter) are kept per chat for a
    while, in case a waiter registers just after.
    """

    def __init__(self, client: SandboxClient, lifetime: float) -> None:
        self.client = client
        self.deadline = time.monotonic() + lifetime
        self._task: asyncio.Task[None] | None = None
        self.cursor = 0
        self.waiters: dict[int, list[Waiter]] = {}
        self.unclaimed: dict[int, deque[dict]] = {}
        self.user_times: dict[int, float] = {}
        self.bot_messages = 0
        self.per_chat: Counter[int] = Counter()
        # Every bot message by (chat, text): what the outbox owed is checked against it.
        self.texts: Counter[tuple[int, str]] = Counter()
        self.last_bot_message = time.monotonic()
        self.closed = False

    async def start(self) -> None:
        self.cursor = await self.client.last_seq()
        self._task = asyncio.create_task(self._run(), name="inbox")

    async def close(self) -> None:
        self.closed = True
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, POLL_SLICE * 5)

    async def _run(self) -> None:
        while not self.closed and time.monotonic() < self.deadline:
            try:
                events, _ = await self.client.events(self.cursor, wait=POLL_SLICE)
            except Exception:
                if self.closed:
                    return
                log.exception("reading the emulator's events failed; retrying")
                await asyncio.sleep(POLL_SLICE)
                continue
            for event in events:
                self.cursor = max(self.cursor, event["seq"])
                self._dispatch(event)

    def _dispatch(self, event: dict) -> None:
        if event["type"] != "message":
            return
        if not event["message"]["from_bot"]:
            self.user_times[event["seq"]] = event["time"]
            return
        chat_id = event["chat_id"]
        message = event["message"]
        self.bot_messages += 1
        self.per_chat[chat_id] += 1
        self.texts[(chat_id, message.get("text") or message.get("caption") or "")] += 1
        self.last_bot_message = time.monotonic()
        waiting = self.waiters.get(chat_id, [])
        for waiter in waiting:
            if self._offer(waiter, event):
                waiting.remove(waiter)
                return
        self.unclaimed.setdefault(chat_id, deque(maxlen=512)).append(event)

    def _offer(self, waiter: Waiter, event: dict) -> bool:
        if event["seq"] <= waiter.after or waiter.future.done():
            return False
        message = event["message"]
        result = waiter.accept(message.get("text") or message.get("caption") or "")
        if result is None:
            return False
        sent_at = self.user_times.pop(waiter.after, event["time"])
        waiter.future.set_result((result, event["time"] - sent_at))
        return True

    def expect(self, chat_id: int, after: int, accept: Callable[[str], Any]) -> Waiter:
        """Wait for the answer in ``chat_id`` after event ``after`` that ``accept`` takes."""
        waiter = Waiter(after, accept, asyncio.get_running_loop().create_future())
        kept = self.unclaimed.get(chat_id)
        for event in list(kept or ()):
            if self._offer(waiter, event):
                kept.remove(event)  # type: ignore[union-attr]
                return waiter
        self.waiters.setdefault(chat_id, []).append(waiter)
        return waiter

    def forget(self, chat_id: int, waiter: Waiter) -> None:
        with contextlib.suppress(ValueError):
            self.waiters.get(chat_id, []).remove(waiter)

    async def quiet(self, seconds: float, limit: float) -> None:
        """Wait until no bot message arrived for ``seconds`` (at most ``limit`` seconds)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            idle = time.monotonic() - self.last_bot_message
            if idle >= seconds:
                return
            await asyncio.sleep(min(seconds - idle, deadline - time.monotonic()) + 0.05)
