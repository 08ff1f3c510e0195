"""getUpdates semantics, the single-poller conflict, and webhook delivery."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import BadRequest, Conflict

from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from tests.sandbox.conftest import ALICE, BOB, make_bot
from tests.sandbox.helpers import poll_waiting, raw_call, until


async def _send_many(client: SandboxClient, count: int, user_id: int = ALICE) -> list[int]:
    user = await client.persona(user_id, f"user{user_id}")
    return [(await user.send(f"m{i}")).update_id for i in range(count)]


async def test_offset_confirms_earlier_updates(bot: Bot, client: SandboxClient) -> None:
    ids = await _send_many(client, 3)
    assert [u.update_id for u in await bot.get_updates()] == ids
    # Not confirmed yet: the same updates again.
    assert [u.update_id for u in await bot.get_updates()] == ids
    assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
    assert await bot.get_updates(offset=ids[-1] + 1) == ()
    # Confirmed updates are gone for good.
    assert await bot.get_updates() == ()


async def test_update_payload_is_a_message_update(bot: Bot, client: SandboxClient) -> None:
    user = await client.persona(ALICE, "张三", username="zhangsan")
    sent = await user.send("/start@duban_bot")
    (update,) = await bot.get_updates()
    assert update.update_id == sent.update_id
    message = update.message
    assert message.message_id == sent.message_id
    assert message.from_user.id == ALICE
    assert message.from_user.username == "zhangsan"
    assert message.from_user.language_code == "zh"
    assert message.chat.id == ALICE
    assert message.text == "/start@duban_bot"
    assert message.entities[0].type == "bot_command"
    assert message.entities[0].length == len("/start@duban_bot")


async def test_limit(bot: Bot, client: SandboxClient) -> None:
    ids = await _send_many(client, 5)
    assert [u.update_id for u in await bot.get_updates(limit=2)] == ids[:2]
    assert [u.update_id for u in await bot.get_updates(limit=0)] == ids[:1]
    assert len(await bot.get_updates(limit=1000)) == 5


async def test_limit_caps_at_100(server: SandboxServer, client: SandboxClient) -> None:
    await _send_many(client, 105)
    response = await raw_call(server, "getUpdates", data={"limit": "500"})
    assert len(response.json()["result"]) == 100


async def test_negative_offset_keeps_only_the_last_updates(bot: Bot, client: SandboxClient) -> None:
    ids = await _send_many(client, 5)
    assert [u.update_id for u in await bot.get_updates(offset=-2)] == ids[-2:]
    # Earlier ones are forgotten.
    assert [u.update_id for u in await bot.get_updates()] == ids[-2:]


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    server: SandboxServer, bot: Bot, client: SandboxClient
) -> None:
    user = await client.persona(ALICE, "张三")
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await until(poll_waiting(server))
    assert not poll.done()
    sent = await user.send("wake up")
    updates = await asyncio.wait_for(poll, 5)
    assert [u.update_id for u in updates] == [sent.update_id]
    assert time.monotonic() - started < 5


async def test_long_poll_times_out_empty(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 <= time.monotonic() - started < 5


async def test_allowed_updates_filters_new_updates(bot: Bot, client: SandboxClient) -> None:
    user = await client.persona(ALICE, "张三")
    await bot.get_updates(allowed_updates=["callback_query"])
    sent = await user.send("ignored")
    assert sent.update_id is None
    message = await bot.send_message(
        ALICE, "k", reply_markup={"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}
    )
    await user.press(message.message_id, data="a")
    updates = await bot.get_updates()
    assert [bool(u.callback_query) for u in updates] == [True]
    # An empty list means "the default" again.
    await bot.get_updates(offset=updates[-1].update_id + 1, allowed_updates=[])
    assert (await user.send("seen")).update_id is not None


async def test_concurrent_poller_gets_conflict(
    server: SandboxServer, bot: Bot, client: SandboxClient
) -> None:
    user = await client.persona(ALICE, "张三")
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await until(poll_waiting(server))
    async with make_bot(server) as second_instance:
        with pytest.raises(Conflict) as excinfo:
            await second_instance.get_updates(timeout=1)
    assert str(excinfo.value) == (
        "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running"
    )
    # The first poller is unaffected and still gets the update.
    sent = await user.send("hi")
    assert [u.update_id for u in await asyncio.wait_for(first, 5)] == [sent.update_id]


async def test_abandoned_poll_frees_the_slot(server: SandboxServer) -> None:
    async with make_bot(server) as first:
        poll = asyncio.create_task(first.get_updates(timeout=30))
        await until(poll_waiting(server))
        poll.cancel()
        with pytest.raises(asyncio.CancelledError):
            await poll
    # The client hung up; a new poller must not be told about a phantom rival for 30 s.
    async with make_bot(server) as second:
        deadline = time.monotonic() + 5
        while True:
            try:
                assert await second.get_updates(timeout=0) == ()
                break
            except Conflict:
                assert time.monotonic() < deadline, "stale poller kept the getUpdates slot"
                await asyncio.sleep(0.02)


# --- webhooks ---------------------------------------------------------------------------------


class Receiver:
    """A tiny webhook endpoint on 127.0.0.1 that can be told to fail."""

    def __init__(self) -> None:
        self.received: list[tuple[dict, str | None]] = []
        self.failures_left = 0
        self.arrived = asyncio.Event()
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        if self.failures_left > 0:
            self.failures_left -= 1
            return web.Response(status=500, text="boom")
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        self.received.append((await request.json(), secret))
        self.arrived.set()
        return web.Response(text="ok")

    async def wait_for(self, count: int, within: float = 10) -> None:
        deadline = time.monotonic() + within
        while len(self.received) < count:
            self.arrived.clear()
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"only {len(self.received)} of {count} webhook calls arrived"
            try:
                await asyncio.wait_for(self.arrived.wait(), remaining)
            except TimeoutError:
                pass


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    hook.url = f"http://127.0.0.1:{port}/hook"
    yield hook
    await runner.cleanup()


async def test_webhook_delivery_with_secret(
    bot: Bot, client: SandboxClient, receiver: Receiver
) -> None:
    user = await client.persona(ALICE, "张三")
    early = await user.send("before the webhook")
    assert await bot.set_webhook(receiver.url, secret_token="s3cr3t-token_1")
    late = await user.send("after the webhook")
    await receiver.wait_for(2)
    assert [body["update_id"] for body, _ in receiver.received] == [early.update_id, late.update_id]
    assert {secret for _, secret in receiver.received} == {"s3cr3t-token_1"}
    assert receiver.received[1][0]["message"]["text"] == "after the webhook"
    info = await bot.get_webhook_info()
    assert info.url == receiver.url
    assert info.pending_update_count == 0
    with pytest.raises(Conflict) as excinfo:
        await bot.get_updates()
    assert str(excinfo.value) == (
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first"
    )


async def test_webhook_retries_until_delivered(
    bot: Bot, client: SandboxClient, receiver: Receiver
) -> None:
    user = await client.persona(ALICE, "张三")
    receiver.failures_left = 2
    await bot.set_webhook(receiver.url)
    first = await user.send("one")
    second = await user.send("two")
    await receiver.wait_for(2)
    assert [body["update_id"] for body, _ in receiver.received] == [
        first.update_id,
        second.update_id,
    ]
    info = await bot.get_webhook_info()
    assert "500" in info.last_error_message
    assert info.last_error_date is not None


async def test_delete_webhook_returns_to_polling(
    bot: Bot, client: SandboxClient, receiver: Receiver
) -> None:
    user = await client.persona(ALICE, "张三")
    await bot.set_webhook(receiver.url)
    await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""
    sent = await user.send("polled")
    assert [u.update_id for u in await bot.get_updates()] == [sent.update_id]
    assert receiver.received == []


async def test_drop_pending_updates(bot: Bot, client: SandboxClient, receiver: Receiver) -> None:
    await _send_many(client, 3)
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == ()
    await _send_many(client, 2, BOB)
    await bot.set_webhook(receiver.url, drop_pending_updates=True)
    assert (await bot.get_webhook_info()).pending_update_count == 0
    await asyncio.sleep(0)
    assert receiver.received == []


async def test_webhook_must_be_loopback(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)bad webhook"):
        await bot.set_webhook("https://example.org/hook")
    with pytest.raises(BadRequest, match=r"(?i)secret token"):
        await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="no spaces!")
