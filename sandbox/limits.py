"""Telegram-like flood limits and random fault injection for the Bot API emulator."""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from typing import Literal

Fault = Literal["error", "drop", "throttle"]
THROTTLE_RETRY_AFTER = 1  # seconds a "throttle" fault (429) asks the bot to wait


@dataclass
class TokenBucket:
    """Classic token bucket: `capacity` burst, refilled at `rate` tokens per second."""

    capacity: float
    rate: float
    tokens: float = -1.0
    updated: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.capacity

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 when available now)."""
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.updated = max(self.updated, now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        """Consume one token; call only after wait_time() returned 0."""
        self.tokens -= 1


class RateLimiter:
    """About 30 messages/s per bot and 1 message/s per chat with a small burst."""

    def __init__(
        self, per_bot: float = 30.0, per_chat: float = 1.0, chat_burst: float = 3.0
    ) -> None:
        self.per_bot = per_bot
        self.per_chat = per_chat
        self.chat_burst = chat_burst
        self._bots: dict[int, TokenBucket] = {}
        self._chats: dict[tuple[int, int], TokenBucket] = {}

    def check(self, bot_id: int, chat_id: int, now: float | None = None) -> int | None:
        """Consume a send for this bot and chat, or return retry_after seconds if flooded."""
        now = time.monotonic() if now is None else now
        bot = self._bots.get(bot_id)
        if bot is None:
            bot = self._bots[bot_id] = TokenBucket(self.per_bot, self.per_bot, updated=now)
        chat = self._chats.get((bot_id, chat_id))
        if chat is None:
            chat = TokenBucket(self.chat_burst, self.per_chat, updated=now)
            self._chats[(bot_id, chat_id)] = chat
        wait = max(bot.wait_time(now), chat.wait_time(now))
        if wait > 0:
            return max(1, math.ceil(wait))
        bot.take()
        chat.take()
        return None

    def reset(self) -> None:
        """Forget all buckets."""
        self._bots.clear()
        self._chats.clear()


class FaultInjector:
    """Decides, reproducibly for a seed, which bot requests fail with a 500 or a dropped socket."""

    def __init__(
        self, rate: float = 0.0, seed: int | None = None, *, throttle: bool = False
    ) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("fault_rate must be between 0.0 and 1.0")
        self.rate = rate
        self._rng = random.Random(seed)
        # With throttle, a third of the faults are 429s with retry_after instead.
        self._kinds: tuple[Fault, ...] = ("error", "drop") + (("throttle",) if throttle else ())
        self.injected: dict[str, int] = {kind: 0 for kind in self._kinds}

    def draw(self) -> Fault | None:
        """The fault to inject into the next request, if any."""
        if self.rate <= 0.0:
            return None
        if self._rng.random() >= self.rate:
            return None
        fault = self._kinds[int(self._rng.random() * len(self._kinds))]
        self.injected[fault] += 1
        return fault
