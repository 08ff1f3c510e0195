"""Start-up survives a flaky or absent Telegram: retries, sparse logging, menus later."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from telegram.ext import Application

from bot.app import build_application
from bot.db import Database
from bot.settings import Settings
from bot.startup import (
    Backoff,
    Outage,
    Resilience,
    freeze_what_is_loaded,
    polling,
    serve,
    webhook,
)
from sandbox.server import running_in_thread
from tests.conftest import REPO_SETTINGS
from tests.fake_botapi import FakeBotApi

pytestmark = pytest.mark.dialects(
    "sqlite",
    why="start-up retries against a flaky Bot API; the database answers the same plain queries",
)

DUBAN = Path(sys.executable).parent / "duban"
TOKEN = "1000001:startup-test-token-0123456789"
QUICK = Backoff(first=0.05, cap=0.5)


def duban_env(tmp_path: Path, base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    env.update(
        DUBAN_SETTINGS=str(REPO_SETTINGS),
        DUBAN_DATABASE__URL=f"sqlite:///{tmp_path}/run.db",
        DUBAN_TELEGRAM__TOKEN=TOKEN,
        DUBAN_TELEGRAM__BASE_URL=base_url,
    )
    return env


def wait_until(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


async def until(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@asynccontextmanager
async def serving(app: Application, backoff: Backoff = QUICK) -> AsyncIterator[asyncio.Task[None]]:
    """The application started the way ``duban run`` starts it, stopped at the end."""
    app.bot_data["resilience"] = Resilience(backoff=backoff)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, start_updates=polling(stop), stop=stop))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


def application(settings: Settings, db: Database, base_url: str) -> Application:
    return build_application(settings, token=TOKEN, base_url=base_url, db=db, rate_limiter=False)


# -- the real `duban run` ----------------------------------------------------------------------


def test_one_502_at_each_start_up_call_does_not_stop_duban_run(tmp_path: Path) -> None:
    script = {"getMe": [502], "deleteWebhook": [502], "setMyCommands": [502]}
    with FakeBotApi(script).running() as api:
        process = subprocess.Popen(
            [str(DUBAN), "run"],
            cwd=tmp_path,
            env=duban_env(tmp_path, api.base_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_until(lambda: api.count("getUpdates") >= 2, 60, "polling to start")
            wait_until(lambda: api.count("setMyCommands") >= 3, 30, "the menus")
            assert process.poll() is None  # still running
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert api.count("getMe", 502) == 1 and api.count("getMe") == 1
    assert "Telegram is unreachable (getMe: NetworkError: Bad Gateway); retrying" in output
    assert "connected to Telegram as @duban_bot" in output
    assert "Traceback" not in output
    assert TOKEN not in output


# -- the application against the sandbox with faults ----------------------------------------------


@pytest.mark.parametrize("seed", range(10))
async def test_the_bot_comes_up_at_a_20_percent_fault_rate(
    settings_factory: Callable[..., Settings], db: Database, seed: int
) -> None:
    settings = settings_factory(database={"url": db.url})
    with running_in_thread(fault_rate=0.2, seed=seed) as server:
        bot_state = lambda: server.world.bots.get(1000001)  # noqa: E731
        app = application(settings, db, server.bot_api_url)
        async with serving(app) as task:
            await until(lambda: bool(bot_state() and bot_state().poller), 30, "polling")
            await until(lambda: len(bot_state().commands) == 3, 30, "the menus")
            assert not task.done()


async def test_menus_that_fail_do_not_hold_up_the_bot_and_are_published_later(
    settings_factory: Callable[..., Settings], db: Database
) -> None:
    settings = settings_factory(database={"url": db.url})
    with FakeBotApi({"setMyCommands": [502, 500, 502, 500]}).running() as api:
        async with serving(application(settings, db, api.base_url)) as task:
            await until(lambda: api.count("getUpdates") >= 1, 30, "polling")
            await until(lambda: api.count("setMyCommands") == 3, 30, "the menus")
            assert api.count("setMyCommands", 502) + api.count("setMyCommands", 500) == 4
            assert not task.done()


async def test_menus_refused_for_good_are_logged_once_and_the_bot_runs_on(
    settings_factory: Callable[..., Settings], db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_factory(database={"url": db.url})
    with FakeBotApi({"setMyCommands": [400]}).running() as api:
        async with serving(application(settings, db, api.base_url)) as task:
            await until(lambda: api.count("getUpdates") >= 2, 30, "polling")
            assert not task.done()
    assert api.count("setMyCommands", 400) == 1  # a 400 is not retried
    warnings = [r.getMessage() for r in caplog.records if "menus were not published" in r.message]
    assert len(warnings) == 1


async def test_while_telegram_is_unreachable_the_bot_waits_and_logs_once(
    settings_factory: Callable[..., Settings], db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_factory(database={"url": db.url})
    app = application(settings, db, f"http://127.0.0.1:{closed_port()}/bot")
    caplog.set_level(logging.INFO)
    async with serving(app, Backoff(0.01, 0.02)) as task:
        outage: Outage = app.bot_data["resilience"].outage
        await until(lambda: outage.unreported >= 20, 30, "twenty more failed attempts")
        assert not task.done()
    said = [r.getMessage() for r in caplog.records if r.name == "duban.telegram"]
    assert len([s for s in said if "Telegram is unreachable (getMe" in s]) == 1
    assert not [s for s in said if "still unreachable" in s]  # under a minute: nothing more
    assert "stopped while waiting for Telegram" in said


# -- once a minute ------------------------------------------------------------------------------


def test_an_outage_is_reported_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    outage = Outage(clock=lambda: now[0])
    caplog.set_level(logging.INFO, logger="duban.telegram")
    for _ in range(200):  # a failed call every 0.75 s for 150 s
        outage.failed("getUpdates", ConnectionError("refused"))
        now[0] += 0.75
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 3
    assert said[0].startswith("Telegram is unreachable (getUpdates")
    assert said[1].startswith("Telegram still unreachable after 60 s: 80 more failed calls")
    assert said[2].startswith("Telegram still unreachable after 120 s: 80 more failed calls")
    now[0] += 300  # quiet for five minutes: the next failure is a new outage
    outage.failed("sendMessage", ConnectionError("refused"))
    assert caplog.records[-1].getMessage().startswith("Telegram is unreachable (sendMessage")


async def test_webhook_mode_waits_out_a_failing_set_webhook_then_listens(
    settings_factory: Callable[..., Settings], db: Database
) -> None:
    port = closed_port()
    with FakeBotApi({"getMe": [502], "setWebhook": [502, 500]}).running() as api:
        settings = settings_factory(
            database={"url": db.url},
            telegram={
                "mode": "webhook",
                "webhook_url": "https://bot.example.org/",
                "webhook_listen": "127.0.0.1",
                "webhook_port": port,
            },
        )
        app = application(settings, db, api.base_url)
        app.bot_data["resilience"] = Resilience(backoff=QUICK)
        stop = asyncio.Event()
        task = asyncio.create_task(serve(app, start_updates=webhook(settings, stop), stop=stop))
        try:
            await until(lambda: app.running, 30, "the application to start")
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)  # it listens
            writer.close()
            assert api.count("setWebhook", 502) == 1 and api.count("setWebhook", 500) == 1
            assert api.count("setWebhook") >= 1 and not task.done()
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)


def test_what_is_loaded_at_start_is_kept_out_of_full_collections() -> None:
    # ``duban run`` freezes it once the application is built: a full collection walking it
    # stopped every thread, the answers' included, for 160-170 ms.
    frozen = gc.get_freeze_count()
    try:
        freeze_what_is_loaded()
        assert gc.get_freeze_count() > frozen
    finally:
        gc.unfreeze()
