"""End to end: a real PTB Application polls a sandbox running in its own thread."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from telegram.ext import Application

from sandbox.client import SandboxClient
from sandbox.media import make_png
from sandbox.server import SandboxServer, running_in_thread
from tests.sandbox.conftest import polling
from tests.sandbox.demo_app import build_demo_application


@pytest.fixture
def threaded() -> Iterator[SandboxServer]:
    with running_in_thread() as server:
        server.add_persona(5001, "张三", note="企业联系人 · 坤昊实业")
        server.add_persona(5002, "Alice", language_code="en", note="Park office")
        yield server


@pytest.fixture
async def app(threaded: SandboxServer) -> AsyncIterator[Application]:
    async with polling(build_demo_application(threaded.url)) as application:
        yield application


async def test_two_personas_at_once_and_a_button_edit(
    threaded: SandboxServer, app: Application
) -> None:
    async with SandboxClient(threaded.url) as client:
        zhang = await client.persona(5001, "张三")
        alice = await client.persona(5002, "Alice", "en")
        await asyncio.gather(zhang.send("/start"), alice.send("/start"))
        greet_zhang, greet_alice = await asyncio.gather(
            zhang.wait_for_bot_message(lambda m: "欢迎" in m.body),
            alice.wait_for_bot_message(lambda m: "欢迎" in m.body),
        )
        assert "张三" in greet_zhang.body
        assert "Alice" in greet_alice.body
        assert greet_zhang.entities[0]["type"] == "bold"
        assert ("✅ 确认 Confirm", "ack") in greet_zhang.buttons

        pressed = await zhang.press(greet_zhang, text="确认")
        edited = await zhang.wait_for_edit(greet_zhang, after=pressed)
        assert edited.body == "✅ 已确认 — 张三"
        assert edited.buttons == []
        answer = await zhang.wait_for_callback_answer(after=pressed)
        assert answer.text == "已确认 ✓" and not answer.show_alert

        # Alice's chat is untouched by Zhang's press.
        assert (await alice.message(greet_alice.message_id)).edit_count == 0
        await alice.press(greet_alice, data="help")
        alert = await alice.wait_for_callback_answer()
        assert alert.show_alert

        await alice.send_photo(make_png(40, 30))
        reply = await alice.wait_for_bot_message(lambda m: m.body.startswith("收到图片"))
        assert reply.body == "收到图片 40×30"

        # A forged press for a button that never existed still reaches the bot, which refuses.
        await zhang.press_raw(greet_zhang.message_id, "drop_table")
        refusal = await zhang.wait_for_callback_answer()
        assert refusal.forged and "未知" in refusal.text


def test_running_in_thread_serves_from_another_loop() -> None:
    with running_in_thread(bot_username="thread_bot") as server:
        assert server.url.startswith("http://127.0.0.1:")
        server.add_persona(1, "One")
        assert server.world.personas[1].first_name == "One"

        async def check() -> str:
            async with SandboxClient(server.url) as client:
                return (await client.info())["bot"]["username"]

        assert asyncio.run(check()) == "thread_bot"
