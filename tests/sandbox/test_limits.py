"""Flood limits (429 + retry_after) and fault injection (500s, dropped connections)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram.error import RetryAfter

from sandbox.client import SandboxClient
from sandbox.limits import FaultInjector, RateLimiter
from sandbox.server import SandboxServer
from tests.sandbox.conftest import ALICE, make_bot
from tests.sandbox.demo_app import TOKEN


@pytest.fixture
async def limited() -> AsyncIterator[SandboxServer]:
    server = SandboxServer(port=0, rate_limits=True)
    await server.start()
    for user_id in range(2000, 2060):
        server.add_persona(user_id, f"u{user_id}")
    yield server
    await server.stop()


async def test_rate_limits_are_off_by_default(server: SandboxServer) -> None:
    async with make_bot(server) as bot:
        for i in range(10):
            await bot.send_message(ALICE, f"m{i}")


async def test_per_chat_limit_answers_429_with_retry_after(limited: SandboxServer) -> None:
    async with httpx.AsyncClient(base_url=f"{limited.url}/bot{TOKEN}", trust_env=False) as http:
        for i in range(3):  # the burst
            response = await http.post("/sendMessage", data={"chat_id": 2000, "text": str(i)})
            assert response.status_code == 200
        response = await http.post("/sendMessage", data={"chat_id": 2000, "text": "flood"})
    assert response.status_code == 429
    body = response.json()
    assert body["ok"] is False
    assert body["error_code"] == 429
    assert body["parameters"]["retry_after"] >= 1
    assert (
        body["description"] == f"Too Many Requests: retry after {body['parameters']['retry_after']}"
    )


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_ptb_sees_retry_after(limited: SandboxServer) -> None:
    async with make_bot(limited) as bot:
        sent = [await bot.send_message(2001, str(i)) for i in range(3)]
        with pytest.raises(RetryAfter):
            await bot.send_message(2001, "flood")
        # Edits count too; reads and getUpdates do not.
        with pytest.raises(RetryAfter):
            await bot.edit_message_text("edited", 2001, sent[0].message_id)
        await bot.get_updates()
        await bot.get_chat(2001)
        # Another chat still has its own burst.
        await bot.send_message(2002, "fine")


async def test_per_bot_limit_across_chats(limited: SandboxServer) -> None:
    async with httpx.AsyncClient(base_url=f"{limited.url}/bot{TOKEN}", trust_env=False) as http:
        # 60 chats at once: far more than 30 per second for the bot as a whole.
        responses = await asyncio.gather(
            *(
                http.post("/sendMessage", data={"chat_id": user_id, "text": "广播"})
                for user_id in range(2000, 2060)
            )
        )
    codes = [r.status_code for r in responses]
    assert set(codes) == {200, 429}
    assert codes.count(200) >= 30
    throttled = next(r.json() for r in responses if r.status_code == 429)
    assert throttled["parameters"]["retry_after"] >= 1


def test_token_buckets_refill() -> None:
    limiter = RateLimiter(per_bot=30, per_chat=1, chat_burst=3)
    assert [limiter.check(1, 5, now=100.0) for _ in range(3)] == [None, None, None]
    assert limiter.check(1, 5, now=100.0) == 1
    assert limiter.check(1, 5, now=101.01) is None


def test_fault_injector_is_reproducible() -> None:
    first = FaultInjector(0.3, seed=7)
    second = FaultInjector(0.3, seed=7)
    draws = [first.draw() for _ in range(500)]
    assert draws == [second.draw() for _ in range(500)]
    assert 0.2 < sum(d is not None for d in draws) / 500 < 0.4
    assert {"error", "drop"} <= set(draws)
    with pytest.raises(ValueError):
        FaultInjector(1.5)


async def _outcome(http: httpx.AsyncClient, method: str, **kwargs: object) -> str:
    try:
        response = await http.post(method, **kwargs)
    except httpx.TransportError:
        return "drop"
    return "ok" if response.status_code == 200 else str(response.status_code)


async def test_fault_rate_produces_500s_and_drops() -> None:
    server = SandboxServer(port=0, fault_rate=0.3, seed=11)
    await server.start()
    try:
        async with httpx.AsyncClient(
            base_url=f"{server.url}/bot{TOKEN}/", trust_env=False, timeout=5
        ) as http:
            outcomes = [await _outcome(http, "getMe") for _ in range(300)]
    finally:
        await server.stop()
    failures = [o for o in outcomes if o != "ok"]
    assert set(failures) == {"500", "drop"}
    assert 0.2 < len(failures) / len(outcomes) < 0.4
    assert server.context.faults.injected["error"] + server.context.faults.injected["drop"] == len(
        failures
    )


async def test_faults_never_lose_updates() -> None:
    server = SandboxServer(port=0, fault_rate=0.35, seed=5)
    await server.start()
    try:
        async with SandboxClient(server.url) as client:
            user = await client.persona(ALICE, "张三")
            sent = [(await user.send(f"m{i}")).update_id for i in range(40)]
        received: list[int] = []
        offset = 0
        async with httpx.AsyncClient(
            base_url=f"{server.url}/bot{TOKEN}/", trust_env=False, timeout=5
        ) as http:
            for _ in range(500):
                if len(received) == len(sent):
                    break
                try:
                    response = await http.post(
                        "getUpdates", data={"offset": offset, "limit": 3, "timeout": 0}
                    )
                except httpx.TransportError:
                    continue
                if response.status_code != 200:
                    continue
                for update in response.json()["result"]:
                    received.append(update["update_id"])
                    offset = update["update_id"] + 1
        assert received == sent
        assert sum(server.context.faults.injected.values()) > 0
    finally:
        await server.stop()


def test_throttle_faults_are_a_third_of_the_faults_and_only_when_asked() -> None:
    plain = FaultInjector(1.0, seed=3)
    assert {plain.draw() for _ in range(300)} == {"error", "drop"}
    throttled = FaultInjector(1.0, seed=3, throttle=True)
    for _ in range(3000):
        throttled.draw()
    assert set(throttled.injected) == {"error", "drop", "throttle"}
    assert all(800 < n < 1200 for n in throttled.injected.values())
