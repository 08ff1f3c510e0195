"""Run the real PTB Application against the sandbox Bot API emulator over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass

from telegram.ext import Application

from bot.app import build_application
from bot.db import Database, upgrade
from bot.deps import Deps
from bot.settings import Settings, load_settings
from sandbox.client import SandboxClient
from sandbox.server import SandboxServer, running_in_thread
from services.demo import seed_demo
from services.org import sync_organisation

TOKEN = "1000001:e2e-test-token"


@dataclass
class Running:
    app: Application
    server: SandboxServer
    client: SandboxClient
    db: Database

    @property
    def deps(self) -> Deps:
        return self.app.bot_data["deps"]


@asynccontextmanager
async def running_bot(
    db_url: str,
    *,
    settings: Settings | None = None,
    demo: bool = True,
    sla_profile: str = "standard",
    rate_limits: bool = False,
    fault_rate: float = 0.0,
    server: SandboxServer | None = None,
) -> AsyncIterator[Running]:
    """The migrated database, the emulator in a thread, and the application polling it.

    Starts the application the way ``run_polling`` does (initialize, post_init, start),
    so the outbox worker and the sweep job run exactly as in production. Pass a running
    ``server`` to restart only the bot while "Telegram" keeps running.
    """
    # Without the emulator's rate limits the outbox need not pace itself to Telegram's; with
    # them, it paces as in production.
    fast = {} if rate_limits else {"rate": 1000.0, "chat_rate": 1000.0, "chat_burst": 100.0}
    # Reports sent by themselves would otherwise arrive in any test run on the first working
    # days of a month; tests of them switch them on.
    quiet = {"enabled": False}
    settings = settings or load_settings(database={"url": db_url}, outbox=fast, reports=quiet)
    upgrade(db_url)
    db = Database(db_url)
    org = settings.organisation
    db.call(sync_organisation, parks=org.parks, departments=org.departments)
    if demo:
        db.call(seed_demo)
    emulator: AbstractContextManager[SandboxServer] = (
        nullcontext(server)
        if server is not None
        else running_in_thread(port=0, rate_limits=rate_limits, fault_rate=fault_rate)
    )
    with emulator as server:
        app = build_application(
            settings,
            token=TOKEN,
            base_url=f"{server.url}/bot",
            base_file_url=f"{server.url}/file/bot",
            db=db,
            sla_profile=sla_profile,
        )
        await app.initialize()
        if app.post_init:
            await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        client = SandboxClient(server.url)
        try:
            yield Running(app=app, server=server, client=client, db=db)
        finally:
            await client.aclose()
            await app.updater.stop()
            await app.stop()
            if app.post_shutdown:
                await app.post_shutdown(app)
            await app.shutdown()
