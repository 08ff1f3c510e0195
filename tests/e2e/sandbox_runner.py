"""`duban sandbox` in the test's event loop: the emulator, the moveable clock, reset demo."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.db import Database, upgrade
from bot.sandbox_mode import SandboxRunner
from bot.settings import Settings, load_settings
from sandbox.client import SandboxClient
from services.org import sync_organisation
from tests.e2e.harness import Running

FAST = {"rate": 1000.0, "chat_rate": 1000.0, "chat_burst": 100.0}


def sandbox_settings(db_url: str, **overrides: Any) -> Settings:
    """The repository's settings on ``db_url``, the outbox unpaced (the runner takes port 0).

    Reports sent by themselves are off (as in tests/e2e/harness.py): a clock moved onto the
    first working day of a month, past their hour, would send one to the supervisors.
    """
    overrides.setdefault("reports", {"enabled": False})
    return load_settings(database={"url": db_url}, outbox=FAST, **overrides)


@asynccontextmanager
async def sandbox_running(
    settings: Settings, store_path: str, *, clock_offset: str | None = None, port: int = 0
) -> AsyncIterator[tuple[Running, SandboxRunner]]:
    """A migrated database with the organisation, and SandboxRunner.run() until the block ends."""
    url = settings.database.url
    upgrade(url)
    db = Database(url)
    org = settings.organisation
    db.call(sync_organisation, parks=org.parks, departments=org.departments)
    runner = SandboxRunner(settings, port=port, store_path=store_path, clock_offset=clock_offset)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    started = asyncio.create_task(runner.started.wait())
    await asyncio.wait({task, started}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()  # raises what stopped it
    assert runner.server is not None and runner.application is not None
    client = SandboxClient(runner.server.url)
    try:
        yield Running(app=runner.application, server=runner.server, client=client, db=db), runner
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)
        await client.aclose()
        db.dispose()
