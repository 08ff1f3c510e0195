"""`duban run` without a token: the local Bot API emulator, the demo organisation and the bot."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import timedelta

from alembic import command
from telegram.ext import Application

from bot.app import build_application
from bot.db import Database, alembic_config, upgrade_and_sync
from bot.deps import Deps, make_calendar
from bot.lock import hold_polling_or_exit
from bot.sandbox_clock import ClockControl, later, sandbox_clock
from bot.settings import Settings
from bot.startup import polling, serve
from models.types import utcnow
from sandbox.server import SandboxServer, running_in_thread
from sandbox.state import World
from sandbox.store import SandboxStore, store_path_for
from services.demo import seed_demo

log = logging.getLogger(__name__)

SANDBOX_TOKEN = "1000001:sandbox-token-not-a-secret"


class SandboxRunner:
    """The emulator in a thread, the bot on this loop; a demo reset rebuilds the bot."""

    def __init__(
        self,
        settings: Settings,
        *,
        port: int | None = None,
        rate_limits: bool | None = None,
        fault_rate: float | None = None,
        clock_offset: str | None = None,
        store_path: str | None = None,
        allow_empty_organisation: bool = False,
    ) -> None:
        options = settings.sandbox
        self.settings = settings
        self.server_options = {
            "host": options.host,
            "port": options.port if port is None else port,
            "bot_username": settings.telegram.bot_username,
            "rate_limits": options.rate_limits if rate_limits is None else rate_limits,
            "fault_rate": options.fault_rate if fault_rate is None else fault_rate,
        }
        self.clock_offset = clock_offset
        self.store_path = store_path or store_path_for(settings.database.url)
        self.allow_empty = allow_empty_organisation
        self.server: SandboxServer | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.deps: Deps | None = None
        self.application: Application | None = None
        self.started = asyncio.Event()
        self._round_stop = asyncio.Event()
        self._reset: asyncio.Future[None] | None = None
        self._after_reset: asyncio.Future[None] | None = None

    @property
    def world(self) -> World:
        assert self.server is not None
        return self.server.world

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until ``stop`` is set, starting the bot afresh after each demo reset."""
        self.loop = asyncio.get_running_loop()
        store = SandboxStore(self.store_path)
        with running_in_thread(store=store, **self.server_options) as server:
            self.server = server
            if self.clock_offset:
                self._start_ahead(self.clock_offset)
            server.context.control = ClockControl(self)
            try:
                while True:
                    await self._serve_once(stop)
                    if self._reset is None or stop.is_set():
                        break
                    await self._fresh_demo()
            finally:
                server.context.control = None
                if self._reset is not None and not self._reset.done():
                    self._reset.cancel()
        store.close()

    async def _serve_once(self, stop: asyncio.Event) -> None:
        assert self.server is not None
        self._seed()
        settings, server = self.settings, self.server
        application = build_application(
            settings,
            token=SANDBOX_TOKEN,
            base_url=f"{server.url}/bot",
            base_file_url=f"{server.url}/file/bot",
            sla_profile=settings.sandbox.sla_profile,
            clock=sandbox_clock(server.world),
        )
        hold_polling_or_exit(application)
        self._round_stop = asyncio.Event()
        relay = asyncio.create_task(_relay(stop, self._round_stop))
        self.deps = application.bot_data["deps"]
        self.application = application
        self.started.set()
        if self._after_reset is not None and not self._after_reset.done():
            # The reset is done once a new bot is in place to take the next request.
            self._after_reset.set_result(None)
        self._after_reset = None
        try:
            await serve(application, start_updates=polling(self._round_stop), stop=self._round_stop)
        finally:
            self.deps = None
            relay.cancel()

    def _seed(self) -> None:
        """The demo organisation in the database and its people as personas (idempotent)."""
        if not self.settings.sandbox.demo:
            return
        assert self.server is not None
        db = Database(self.settings.database.url)
        try:
            personas = db.call(seed_demo)
        finally:
            db.dispose()
        for p in personas:
            if p.telegram_id not in self.server.world.personas:
                self.server.add_persona(
                    p.telegram_id, p.name, language_code=p.language, note=p.note
                )

    def _start_ahead(self, span: str) -> None:
        """``--clock-offset``: start that far ahead of real time, never behind a kept clock."""
        assert self.server is not None
        now = utcnow()
        wanted = (later(make_calendar(self.settings), now, span) - now).total_seconds()
        kept = self.server.world.clock_offset
        if wanted <= kept:
            log.warning(
                "the sandbox clock is already %s ahead (kept from the last run); "
                "--clock-offset %s leaves it there: it never moves back",
                timedelta(seconds=int(kept)),
                span,
            )
            return
        self.server.set_clock_offset(wanted)

    async def request_reset(self) -> None:
        """Stop the bot, reset chats, database and clock, start it again; wait for all that."""
        if self._reset is None or self._reset.done():
            self._reset = asyncio.get_running_loop().create_future()
        waiting = self._reset
        self._round_stop.set()
        await asyncio.shield(waiting)

    async def _fresh_demo(self) -> None:
        """Between two bots: nothing runs that could send or write from before."""
        assert self.server is not None and self._reset is not None
        try:
            # Chats first: nothing the stopped bot left queued may reach the new one. From a
            # worker thread: the reset runs on the emulator's loop, which may need this loop
            # meanwhile (blocking it here deadlocked the reset until a timeout).
            await asyncio.to_thread(self.server.reset)
            await asyncio.to_thread(fresh_database, self.settings, self.allow_empty)
        except BaseException as exc:
            self._reset.set_exception(exc)
            raise
        self._after_reset, self._reset = self._reset, None


async def _relay(source: asyncio.Event, target: asyncio.Event) -> None:
    await source.wait()
    target.set()


def fresh_database(settings: Settings, allow_empty: bool = False) -> None:
    """Every table dropped and migrated again, then the organisation and the demo seeded."""
    command.downgrade(alembic_config(settings.database.url), "base")
    upgrade_and_sync(
        settings, allow_empty=allow_empty, seed=seed_demo if settings.sandbox.demo else None
    )


def run_sandbox(
    settings: Settings,
    *,
    port: int | None = None,
    rate_limits: bool | None = None,
    fault_rate: float | None = None,
    clock_offset: str | None = None,
    allow_empty_organisation: bool = False,
) -> None:
    """Start the emulator in a thread and poll it with the real application until Ctrl-C."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        runner = SandboxRunner(
            settings,
            port=port,
            rate_limits=rate_limits,
            fault_rate=fault_rate,
            clock_offset=clock_offset,
            allow_empty_organisation=allow_empty_organisation,
        )
        announce = asyncio.create_task(_announce(runner))
        try:
            await runner.run(stop)
        finally:
            announce.cancel()

    asyncio.run(main())


async def _announce(runner: SandboxRunner) -> None:
    await runner.started.wait()
    assert runner.server is not None
    print(f"\n  duban sandbox: open {runner.server.url} in your browser\n", flush=True)
