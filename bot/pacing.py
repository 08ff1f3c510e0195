"""The outbox's own pacing: Telegram's flood limits kept by the sender, not learnt from 429s."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

# Telegram allows about 30 messages a second per bot. The outbox keeps below that, so the
# direct answer to someone who just wrote (sent through PTB's AIORateLimiter, not through the
# outbox) always finds room and never waits behind notifications to others.
OUTBOX_RATE = 28.0
OUTBOX_BURST = 5.0
# About one message a second per chat, with a short burst (Telegram tolerates a few at once);
# 5% under it, because calls paced a second apart may arrive closer when their latency varies.
CHAT_RATE = 0.95
CHAT_BURST = 3.0
FORGET_AFTER = 60.0  # seconds: a chat bucket this old is full again and can be dropped


@dataclass
class Bucket:
    """Token bucket: ``capacity`` at once, refilled at ``rate`` a second."""

    capacity: float
    rate: float
    tokens: float
    updated: float

    def wait(self, now: float) -> float:
        """Seconds until a token is there (0: take it now)."""
        self.tokens = min(self.capacity, self.tokens + max(0.0, now - self.updated) * self.rate)
        self.updated = max(self.updated, now)
        # A hair's tolerance: float rounding must not leave a sender waiting for 1e-17 s forever.
        return 0.0 if self.tokens >= 1 - 1e-9 else (1 - self.tokens) / self.rate


@dataclass
class Pacer:
    """Waits until one more message may go to ``chat_id`` without breaking either limit."""

    rate: float = OUTBOX_RATE
    burst: float = OUTBOX_BURST
    chat_rate: float = CHAT_RATE
    chat_burst: float = CHAT_BURST
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep
    _chats: dict[int, Bucket] = field(default_factory=dict)
    _overall: Bucket | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def ready(self, chat_id: int) -> float:
        """Sleep until ``chat_id`` may have one more message, taking nothing; seconds slept."""
        slept = 0.0
        chat = self._chat(chat_id)
        while (delay := chat.wait(self.clock())) > 0:
            slept += delay
            await self.sleep(delay)
        return slept

    async def wait(self, chat_id: int) -> float:
        """Take a send for ``chat_id``, sleeping as long as needed; seconds slept."""
        slept = await self.ready(chat_id)
        chat = self._chat(chat_id)
        # One sender at a time takes from the overall budget: first come, first served.
        async with self._lock:
            overall = self._overall_bucket()
            while (delay := overall.wait(self.clock())) > 0:
                slept += delay
                await self.sleep(delay)
            overall.tokens -= 1
        chat.tokens -= 1
        return slept

    def _chat(self, chat_id: int) -> Bucket:
        now = self.clock()
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if len(self._chats) > 10_000:
                self._forget(now)
            bucket = self._chats[chat_id] = Bucket(
                self.chat_burst, self.chat_rate, self.chat_burst, now
            )
        return bucket

    def _overall_bucket(self) -> Bucket:
        if self._overall is None:
            self._overall = Bucket(self.burst, self.rate, self.burst, self.clock())
        return self._overall

    def _forget(self, now: float) -> None:
        old = [c for c, b in self._chats.items() if now - b.updated > FORGET_AFTER]
        for chat_id in old:
            del self._chats[chat_id]
