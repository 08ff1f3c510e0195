"""Local Telegram emulator: Bot API, user-side API and the web chat page on one aiohttp server."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from aiohttp import web

from sandbox import botapi, userapi
from sandbox.context import CONTEXT, SandboxContext
from sandbox.limits import FaultInjector, RateLimiter
from sandbox.state import World
from sandbox.store import SandboxStore

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).with_name("static")
MAX_REQUEST_BYTES = 64 * 1024 * 1024


async def _index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html")


async def _not_found(request: web.Request) -> web.Response:
    return botapi.api_error_response(botapi.ApiError(404, "Not Found"))


def build_app(ctx: SandboxContext) -> web.Application:
    """The aiohttp application serving everything."""
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    app[CONTEXT] = ctx
    app.router.add_route("*", "/bot{token}/{method}", botapi.handle)
    app.router.add_get("/file/bot{token}/{path:.+}", botapi.download)
    userapi.add_routes(app)
    app.router.add_get("/", _index)
    app.router.add_static("/static", STATIC_DIR)
    app.router.add_route("*", "/{tail:.*}", _not_found)
    return app


class SandboxServer:
    """A local stand-in for api.telegram.org plus a user side, for tests and demos."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 8080,
        bot_username: str = "duban_bot",
        rate_limits: bool = False,
        fault_rate: float = 0.0,
        throttle: bool = False,
        seed: int | None = None,
        latency: tuple[float, float] | None = None,
        store: SandboxStore | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.world = World(bot_username=bot_username, store=store)
        self.world.load()
        self.context = SandboxContext(
            world=self.world,
            limiter=RateLimiter() if rate_limits else None,
            faults=FaultInjector(fault_rate, seed, throttle=throttle),
            latency=latency,
        )
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        """Listen on host:port (port 0 picks a free port)."""
        if self._runner is not None:
            raise RuntimeError("sandbox server already started")
        self._loop = asyncio.get_running_loop()
        self.context.closing = False
        # handler_cancellation: a client that hangs up mid long-poll must free its getUpdates slot.
        runner = web.AppRunner(
            build_app(self.context),
            handler_cancellation=True,
            shutdown_timeout=2.0,
            access_log=None,
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        if runner.addresses:
            self.port = runner.addresses[0][1]
        log.info("sandbox listening on %s", self.url)

    async def stop(self) -> None:
        """Release long polls, stop webhook deliveries and close the listener."""
        if self._runner is None:
            return
        self.context.closing = True
        await self.context.webhooks.close()
        self.context.wake_all()
        await self._runner.cleanup()
        self._runner = None

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:8080."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def bot_api_url(self) -> str:
        """Value for ApplicationBuilder().base_url(...)."""
        return f"{self.url}/bot"

    @property
    def file_url(self) -> str:
        """Value for ApplicationBuilder().base_file_url(...)."""
        return f"{self.url}/file/bot"

    def add_persona(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str = "",
        username: str = "",
        language_code: str = "zh",
        note: str = "",
    ) -> None:
        """Create or replace a persona; safe to call from any thread."""

        def apply() -> None:
            self.world.add_persona(
                user_id,
                first_name,
                last_name=last_name,
                username=username,
                language_code=language_code,
                note=note,
            )

        self._call_in_loop(apply)

    def set_clock_offset(self, seconds: float) -> None:
        """Put the sandbox clock ``seconds`` ahead of real time; safe to call from any thread."""
        self._call_in_loop(lambda: self.world.set_clock_offset(seconds))

    def reset(self) -> None:
        """Forget personas, chats, files and pending updates; safe to call from any thread."""

        def apply() -> None:
            self.world.reset()
            if self.context.limiter is not None:
                self.context.limiter.reset()

        self._call_in_loop(apply)

    def _call_in_loop(self, func: Any) -> None:
        loop = self._loop
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        # State belongs to the server's loop; hop there when called from another thread.
        if loop is None or loop is current or not loop.is_running() or self._runner is None:
            func()
            return
        done: Future[None] = Future()

        def run() -> None:
            try:
                func()
            except BaseException as exc:
                done.set_exception(exc)
            else:
                done.set_result(None)

        loop.call_soon_threadsafe(run)
        done.result(timeout=10)


@contextlib.contextmanager
def running_in_thread(**kwargs: Any) -> Iterator[SandboxServer]:
    """Run a SandboxServer on its own event loop in a daemon thread (port defaults to 0)."""
    kwargs.setdefault("port", 0)
    server = SandboxServer(**kwargs)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.start())
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    thread = threading.Thread(target=run, name="sandbox-server", daemon=True)
    thread.start()
    if not ready.wait(timeout=30):
        raise RuntimeError("sandbox server did not start within 30 s")
    if failure:
        raise failure[0]
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)


def parse_latency(value: str) -> tuple[float, float]:
    """``40-120`` (milliseconds) as (0.04, 0.12) seconds; ``80`` as (0.08, 0.08)."""
    low, _, high = value.partition("-")
    try:
        bounds = (float(low) / 1000, float(high or low) / 1000)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a latency range: {value!r}") from None
    if not 0 <= bounds[0] <= bounds[1]:
        raise argparse.ArgumentTypeError(f"not a latency range: {value!r}")
    return bounds


def main(argv: list[str] | None = None) -> None:
    """Run the sandbox from the command line: python -m sandbox.server --port 8080."""
    parser = argparse.ArgumentParser(description="Local Telegram Bot API sandbox for duban")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--bot-username", default="duban_bot")
    parser.add_argument("--rate-limits", action="store_true")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument(
        "--throttle",
        action="store_true",
        help="a third of the injected faults are 429 with retry_after instead of 500 or drop",
    )
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--latency",
        type=parse_latency,
        default=None,
        metavar="LOW-HIGH",
        help="each Bot API call takes LOW to HIGH milliseconds, e.g. 40-120",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    async def serve() -> None:
        server = SandboxServer(
            host=args.host,
            port=args.port,
            bot_username=args.bot_username,
            rate_limits=args.rate_limits,
            fault_rate=args.fault_rate,
            throttle=args.throttle,
            seed=args.seed,
            latency=args.latency,
        )
        await server.start()
        print(f"sandbox: open {server.url}/ ; bot base_url {server.bot_api_url}", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
