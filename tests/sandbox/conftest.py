"""Fixtures for the sandbox emulator tests."""

from __future__ import annotations

import contextlib
import datetime as dtm
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.ext import Application

from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from tests.sandbox.demo_app import TOKEN, build_demo_application

ALICE = 1001
BOB = 1002


def make_bot(server: SandboxServer, token: str = TOKEN) -> Bot:
    """A PTB Bot talking to the sandbox."""
    return Bot(token, base_url=server.bot_api_url, base_file_url=server.file_url)


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    """A fresh sandbox on a free port in the test's event loop."""
    srv = SandboxServer(port=0)
    await srv.start()
    srv.add_persona(ALICE, "张三", username="zhangsan", note="企业联系人 · 坤昊实业")
    srv.add_persona(BOB, "Bob", last_name="Lee", language_code="en")
    yield srv
    await srv.stop()


@pytest.fixture
async def bot(server: SandboxServer) -> AsyncIterator[Bot]:
    """An initialized PTB Bot against the sandbox."""
    async with make_bot(server) as tg_bot:
        yield tg_bot


@pytest.fixture
async def client(server: SandboxServer) -> AsyncIterator[SandboxClient]:
    """User-side client of the sandbox."""
    async with SandboxClient(server.url) as sandbox_client:
        yield sandbox_client


@contextlib.asynccontextmanager
async def polling(app: Application) -> AsyncIterator[Application]:
    """Run a PTB Application with polling for the duration of the block."""
    async with app:
        await app.start()
        await app.updater.start_polling(timeout=dtm.timedelta(seconds=5))
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


@pytest.fixture
async def demo_app(server: SandboxServer) -> AsyncIterator[Application]:
    """The demo Application polling the per-test sandbox."""
    async with polling(build_demo_application(server.url)) as app:
        yield app
