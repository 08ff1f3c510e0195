"""Small helpers shared by the sandbox tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from sandbox.server import SandboxServer
from tests.sandbox.demo_app import TOKEN


async def raw_call(
    server: SandboxServer,
    method: str,
    *,
    token: str = TOKEN,
    http_method: str = "POST",
    **kwargs: Any,
) -> httpx.Response:
    """Call a Bot API method with plain httpx (no PTB in between)."""
    async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
        return await http.request(http_method, f"{server.url}/bot{token}/{method}", **kwargs)


def assert_ptb_error(excinfo: pytest.ExceptionInfo[BaseException], description: str) -> None:
    """PTB strips 'Bad Request: ' and capitalizes; compare case-insensitively."""
    expected = description.removeprefix("Bad Request: ")
    assert str(excinfo.value).lower() == expected.lower(), str(excinfo.value)


async def until(predicate: Callable[[], object], within: float = 5.0) -> None:
    """Poll a condition (no fixed sleeps); fail after `within` seconds."""
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


def poll_waiting(server: SandboxServer, bot_id: int = 7000001) -> Callable[[], bool]:
    """Condition: the bot's getUpdates long poll has reached the server."""
    return lambda: bot_id in server.world.bots and server.world.bots[bot_id].poller is not None
