"""Running against a Telegram that may be slow, flaky or down: retry, log sparingly, stay up."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.settings import Settings

log = logging.getLogger("duban.telegram")


def freeze_what_is_loaded() -> None:
    """Take everything loaded at start out of the garbage collector's full passes.

    It lives as long as the process (modules, mappers, settings, the application), yet each
    full collection walked all of it with every thread stopped: 160-170 ms, twice in a
    90-second intake benchmark run; with it frozen, 35 ms.
    """
    gc.collect()
    gc.freeze()


T = TypeVar("T")
Starter = Callable[[Application], Awaitable[None]]


class TokenRejected(Exception):
    """Telegram answered 401/404 to the token: retrying cannot help."""


class Stopped(Exception):
    """A stop signal arrived while waiting for Telegram."""


def transient(exc: BaseException) -> bool:
    """A failure worth retrying: the network, a 5xx, a timeout or a flood wait."""
    return isinstance(exc, RetryAfter | NetworkError) and not isinstance(exc, BadRequest)


@dataclass(frozen=True)
class Backoff:
    """Waits between retries: doubling from ``first`` up to ``cap`` seconds."""

    first: float = 1.0
    cap: float = 30.0

    def delays(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield delay
            delay = min(delay * 2, self.cap)


@dataclass
class Outage:
    """Says that Telegram is unreachable once a minute, however many calls fail meanwhile."""

    every: float = 60.0
    clock: Callable[[], float] = time.monotonic
    started: float | None = None
    last_failure: float | None = None
    last_report: float = 0.0
    unreported: int = 0

    def failed(self, what: str, exc: BaseException) -> None:
        now = self.clock()
        quiet_since = None if self.last_failure is None else now - self.last_failure
        self.last_failure = now
        if self.started is None or quiet_since is None or quiet_since > self.every:
            self.started, self.last_report, self.unreported = now, now, 0
            log.warning("Telegram is unreachable (%s: %s); retrying", what, describe(exc))
            return
        self.unreported += 1
        if now - self.last_report >= self.every:
            log.warning(
                "Telegram still unreachable after %.0f s: %d more failed calls (last %s: %s)",
                now - self.started,
                self.unreported,
                what,
                describe(exc),
            )
            self.last_report, self.unreported = now, 0

    def recovered(self) -> None:
        if self.started is not None:
            log.info("Telegram reachable again after %.0f s", self.clock() - self.started)
        self.started = self.last_failure = None
        self.unreported = 0


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


@dataclass
class Resilience:
    """How one application retries and reports Telegram's failures (kept in bot_data)."""

    backoff: Backoff = field(default_factory=Backoff)
    outage: Outage = field(default_factory=Outage)


def resilience_of(app: Application) -> Resilience:
    return app.bot_data.setdefault("resilience", Resilience())


async def keep_trying(
    app: Application,
    action: Callable[[], Awaitable[T]],
    *,
    what: str,
    stop: asyncio.Event | None = None,
) -> T:
    """Run ``action`` until it succeeds; transient failures wait with bounded back-off."""
    resilience = resilience_of(app)
    delays = resilience.backoff.delays()
    while True:
        try:
            result = await action()
        except InvalidToken:
            raise TokenRejected from None
        except RetryAfter as exc:
            wait = _seconds(exc.retry_after) + 0.5
            log.info("Telegram asks to wait %.0f s before %s", wait, what)
        except TelegramError as exc:
            if not transient(exc):
                raise
            resilience.outage.failed(what, exc)
            wait = next(delays)
        else:
            resilience.outage.recovered()
            return result
        await _pause(wait, stop)


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def _pause(seconds: float, stop: asyncio.Event | None) -> None:
    if stop is None:
        await asyncio.sleep(seconds)
        return
    # asyncio.timeout, not wait_for: 3.11's wait_for loses a cancel that meets ``stop`` being set.
    try:
        async with asyncio.timeout(seconds):
            await stop.wait()
    except TimeoutError:
        return
    raise Stopped


def polling(stop: asyncio.Event | None = None) -> Starter:
    """Start long polling: remove any webhook first, retrying as long as it takes."""

    async def start(app: Application) -> None:
        assert app.updater is not None
        await keep_trying(app, app.bot.delete_webhook, what="deleteWebhook", stop=stop)
        outage = resilience_of(app).outage

        def failed(exc: TelegramError) -> None:
            if transient(exc):
                outage.failed("getUpdates", exc)
            else:
                log.error("polling for updates failed: %s", describe(exc))

        # -1: PTB retries its own deleteWebhook too, should Telegram fail it right after ours.
        await app.updater.start_polling(bootstrap_retries=-1, error_callback=failed)

    return start


def webhook(settings: Settings, stop: asyncio.Event | None = None) -> Starter:
    """Listen for Telegram's POSTs: set the webhook first, retrying as long as it takes."""
    options = settings.telegram
    secret = options.webhook_secret.get_secret_value() if options.webhook_secret else None

    async def start(app: Application) -> None:
        assert app.updater is not None and options.webhook_url
        url = options.webhook_url

        async def set_webhook() -> bool:
            return await app.bot.set_webhook(url, secret_token=secret)

        await keep_trying(app, set_webhook, what="setWebhook", stop=stop)
        await app.updater.start_webhook(
            listen=options.webhook_listen,
            port=options.webhook_port,
            webhook_url=url,
            secret_token=secret,
            bootstrap_retries=-1,
        )

    return start


async def serve(app: Application, *, start_updates: Starter, stop: asyncio.Event) -> None:
    """Start the application as run_polling would, but wait out Telegram; run until ``stop``."""
    try:
        await keep_trying(app, app.initialize, what="getMe", stop=stop)
        if app.post_init:
            await app.post_init(app)
        await start_updates(app)
        await app.start()
        log.info("connected to Telegram as @%s", app.bot.username)
        await stop.wait()
    except Stopped:
        log.info("stopped while waiting for Telegram")
    finally:
        await _shut_down(app)


async def _shut_down(app: Application) -> None:
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
        if app.post_stop:
            await app.post_stop(app)
    await app.shutdown()
    if app.post_shutdown:
        await app.post_shutdown(app)


def run_application(app: Application, settings: Settings, *, sandbox: bool = False) -> None:
    """Run until SIGINT or SIGTERM; raise TokenRejected if Telegram refuses the token."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        use_webhook = settings.telegram.mode == "webhook" and not sandbox
        starter = webhook(settings, stop) if use_webhook else polling(stop)
        await serve(app, start_updates=starter, stop=stop)

    asyncio.run(main())
