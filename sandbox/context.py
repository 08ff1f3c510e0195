"""Shared runtime of one sandbox server, reachable from every request handler."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from sandbox.control import SandboxControl
from sandbox.limits import FaultInjector, RateLimiter
from sandbox.state import World
from sandbox.webhook import WebhookDispatcher


@dataclass
class SandboxContext:
    """World state plus the machinery around it (limits, faults, webhooks)."""

    world: World
    limiter: RateLimiter | None = None
    faults: FaultInjector = field(default_factory=FaultInjector)
    webhooks: WebhookDispatcher = field(default_factory=WebhookDispatcher)
    # (low, high) seconds each Bot API call takes, drawn uniformly; None: as fast as possible.
    latency: tuple[float, float] | None = None
    # The bot's clock, sweep and demo reset; set only by `duban sandbox` (bot/sandbox_mode.py).
    control: SandboxControl | None = None

    @property
    def closing(self) -> bool:
        """Whether the server is shutting down (long polls should return now)."""
        return self.world.closing

    @closing.setter
    def closing(self, value: bool) -> None:
        self.world.closing = value

    def wake_all(self) -> None:
        """Release every long poll, e.g. when the server stops."""
        self.world.event_signal.fire()
        self.world.primary.update_signal.fire()
        for bot in self.world.bots.values():
            bot.update_signal.fire()


CONTEXT = web.AppKey("sandbox_context", SandboxContext)
