"""The emulator's latency option: slow Bot API calls, as the crash benchmark needs them."""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx
import pytest

from sandbox.server import SandboxServer, parse_latency
from tests.sandbox.demo_app import TOKEN


def test_latency_is_read_in_milliseconds() -> None:
    assert parse_latency("40-120") == (0.04, 0.12)
    assert parse_latency("80") == (0.08, 0.08)
    for bad in ("fast", "120-40", "-5"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_latency(bad)


async def test_a_slowed_call_takes_its_time_and_a_cancelled_one_sends_nothing() -> None:
    server = SandboxServer(port=0, latency=(0.3, 0.3))
    await server.start()
    server.add_persona(2000, "u2000")
    try:
        async with httpx.AsyncClient(base_url=f"{server.url}/bot{TOKEN}", trust_env=False) as http:
            started = time.monotonic()
            response = await http.post("/sendMessage", data={"chat_id": 2000, "text": "slow"})
            assert response.status_code == 200
            assert time.monotonic() - started >= 0.3
            # A client that hangs up on the way in never reached "Telegram".
            with pytest.raises(httpx.TimeoutException):
                await http.post(
                    "/sendMessage", data={"chat_id": 2000, "text": "lost"}, timeout=0.05
                )
        await asyncio.sleep(0.5)
        texts = [e["message"]["text"] for e in server.world.events if e["type"] == "message"]
        assert "slow" in texts and "lost" not in texts
    finally:
        await server.stop()
