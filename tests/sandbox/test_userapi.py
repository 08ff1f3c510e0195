"""The user-side API and SandboxClient: personas, sending, pressing, reading, long-polling."""

from __future__ import annotations

import asyncio
import re
import time

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from sandbox.client import SandboxClient, SandboxError
from sandbox.server import SandboxServer
from tests.sandbox.conftest import ALICE, BOB

KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("✅ 确认", callback_data="task:1:ack")],
        [InlineKeyboardButton("打开 Open", url="https://example.org")],
    ]
)


async def test_personas_create_update_list(client: SandboxClient) -> None:
    await client.persona(3001, "王五", "zh", last_name="王", username="wangwu", note="网格员")
    await client.persona(3001, "王五五", "en")
    personas = {p["user_id"]: p for p in await client.personas()}
    assert personas[3001]["first_name"] == "王五五"
    assert personas[3001]["language_code"] == "en"
    assert personas[3001]["username"] == "wangwu"
    assert {ALICE, BOB} <= set(personas)
    with pytest.raises(SandboxError) as excinfo:
        await client.request("POST", "/personas", json={"first_name": "no id"})
    assert excinfo.value.status == 400


async def test_send_returns_ids_and_marks_commands(bot: Bot, client: SandboxClient) -> None:
    user = await client.persona(ALICE, "张三")
    sent = await user.send("/report@duban_bot 三号楼")
    assert sent.update_id is not None
    assert sent.message.entities == [{"type": "bot_command", "offset": 0, "length": 17}]
    (update,) = await bot.get_updates()
    assert update.update_id == sent.update_id
    assert update.message.message_id == sent.message_id
    with pytest.raises(SandboxError):
        await user.send("   ")


async def test_messages_in_order_both_directions(bot: Bot, client: SandboxClient) -> None:
    user = await client.persona(ALICE, "张三")
    await user.send("hi")
    reply = await bot.send_message(ALICE, "hello", reply_markup=KEYBOARD)
    await bot.edit_message_text("hello!", ALICE, reply.message_id, reply_markup=KEYBOARD)
    messages = await user.messages()
    assert [(m.from_bot, m.body) for m in messages] == [(False, "hi"), (True, "hello!")]
    edited = messages[1]
    assert edited.edited and edited.edit_count == 1 and edited.edit_date is not None
    assert edited.buttons == [("✅ 确认", "task:1:ack"), ("打开 Open", None)]
    assert edited.keyboard[1][0].url == "https://example.org"
    assert [m.body for m in await user.bot_messages()] == ["hello!"]
    assert (await user.last_bot_message()).message_id == reply.message_id


async def test_press_by_label_and_data(bot: Bot, client: SandboxClient) -> None:
    user = await client.persona(ALICE, "张三")
    message = await bot.send_message(ALICE, "task", reply_markup=KEYBOARD)
    by_label = await user.press(message.message_id, text="确认")
    by_data = await user.press(message.message_id, data="task:1:ack")
    updates = await bot.get_updates()
    assert [u.callback_query.id for u in updates] == [
        by_label.callback_query_id,
        by_data.callback_query_id,
    ]
    assert updates[0].callback_query.from_user.id == ALICE
    assert updates[0].callback_query.message.text == "task"
    with pytest.raises(LookupError, match="no callback button"):
        await user.press(message.message_id, text="不存在")
    with pytest.raises(LookupError):
        await user.press(message.message_id, text="Open")  # a URL button has no callback


async def test_press_requires_the_button_to_be_on_the_message(
    server: SandboxServer, bot: Bot, client: SandboxClient
) -> None:
    await client.persona(ALICE, "张三")
    message = await bot.send_message(ALICE, "task", reply_markup=KEYBOARD)
    async with httpx.AsyncClient(base_url=server.url, trust_env=False) as http:
        forged = await http.post(
            f"/sandbox/api/chats/{ALICE}/press",
            json={"message_id": message.message_id, "callback_data": "task:1:delete"},
        )
        assert forged.status_code == 400
        assert "no button" in forged.json()["error"]
        # Once the keyboard is gone the old button cannot be pressed any more.
        await bot.edit_message_reply_markup(ALICE, message.message_id, reply_markup=None)
        stale = await http.post(
            f"/sandbox/api/chats/{ALICE}/press",
            json={"message_id": message.message_id, "callback_data": "task:1:ack"},
        )
        assert stale.status_code == 400
        missing = await http.post(
            f"/sandbox/api/chats/{ALICE}/press",
            json={"message_id": 999, "callback_data": "x"},
        )
        assert missing.status_code == 400
    assert await bot.get_updates() == ()


async def test_press_raw_sends_forged_callback_data(bot: Bot, client: SandboxClient) -> None:
    user = await client.persona(ALICE, "张三")
    message = await bot.send_message(ALICE, "task", reply_markup=KEYBOARD)
    forged = await user.press_raw(message.message_id, "task:999:delete")
    ghost = await user.press_raw(4242, "anything")
    first, second = await bot.get_updates()
    assert first.callback_query.id == forged.callback_query_id
    assert first.callback_query.data == "task:999:delete"
    assert first.callback_query.message.message_id == message.message_id
    # A message the bot cannot see arrives as an InaccessibleMessage (date 0).
    assert second.callback_query.id == ghost.callback_query_id
    assert second.callback_query.message.is_accessible is False
    await first.callback_query.answer("无权限", show_alert=True)
    answers = await user.callback_answers()
    assert answers[0].forged and answers[0].show_alert and answers[0].text == "无权限"


async def test_waiting_helpers(bot: Bot, client: SandboxClient) -> None:
    user = await client.persona(ALICE, "张三")
    await user.send("/start")

    async def bot_side() -> None:
        await bot.get_updates(timeout=5)
        await bot.send_chat_action(ALICE, "typing")
        first = await bot.send_message(ALICE, "第一条")
        await bot.send_message(ALICE, "第二条", reply_markup=KEYBOARD)
        await bot.edit_message_text("第一条（已更新）", ALICE, first.message_id)

    task = asyncio.create_task(bot_side())
    first = await user.wait_for_bot_message()
    second = await user.wait_for_bot_message()
    assert (first.body, second.body) == ("第一条", "第二条")
    edited = await user.wait_for_edit(first)
    assert edited.body == "第一条（已更新）"
    await task
    # Predicates and explicit starting points.
    again = await user.wait_for_bot_message(lambda m: m.buttons != [], after=0)
    assert again.message_id == second.message_id
    pressed = await user.press(second, text="确认")
    answer_task = asyncio.create_task(user.wait_for_callback_answer(after=pressed))
    (update,) = await bot.get_updates(offset=-1, timeout=5)
    await update.callback_query.answer("收到")
    assert (await answer_task).text == "收到"


async def test_wait_times_out_with_a_useful_message(client: SandboxClient) -> None:
    user = await client.persona(ALICE, "张三")
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="no matching bot message"):
        await user.wait_for_bot_message(timeout=0.5)
    assert time.monotonic() - started < 3


async def test_event_long_poll(bot: Bot, client: SandboxClient) -> None:
    user = await client.persona(ALICE, "张三")
    start = user.cursor
    events, last = await client.events(start, wait=0)
    assert events == [] and last == start
    waiting = asyncio.create_task(client.events(start, wait=10, chat_id=ALICE))
    await bot.send_message(ALICE, "ping")
    events, last = await asyncio.wait_for(waiting, 5)
    assert [e["type"] for e in events] == ["message"]
    assert events[0]["message"]["text"] == "ping"
    assert last == events[-1]["seq"]
    # Events of other chats are filtered out.
    await bot.send_message(BOB, "not for alice")
    mine, _ = await client.events(last, chat_id=ALICE)
    assert mine == []


async def test_reset_forgets_the_world_but_not_update_ids(bot: Bot, client: SandboxClient) -> None:
    user = await client.persona(ALICE, "张三")
    before = await user.send("one")
    await client.reset()
    assert await client.personas() == []
    assert await bot.get_updates() == ()
    user = await client.persona(ALICE, "张三")
    assert await user.messages() == []
    after = await user.send("two")
    assert after.update_id > before.update_id
    assert after.message_id == 1


async def test_unknown_persona_is_404(client: SandboxClient) -> None:
    with pytest.raises(SandboxError) as excinfo:
        await client.request("POST", "/chats/55555/messages", json={"text": "hi"})
    assert excinfo.value.status == 404


async def test_info_and_static_page(server: SandboxServer, client: SandboxClient) -> None:
    info = await client.info()
    assert info["bot"]["username"] == "duban_bot"
    assert info["rate_limits"] is False
    async with httpx.AsyncClient(base_url=server.url, trust_env=False) as http:
        page = await http.get("/")
        assert page.status_code == 200
        assert 'id="persona-list"' in page.text
        scripts = re.findall(r'<script src="([^"]+)"', page.text)
        assert "/static/app.js" in scripts and "/static/demo-steps.js" in scripts
        for asset in (*scripts, "/static/style.css"):
            assert (await http.get(asset)).status_code == 200, asset


async def test_a_poll_from_an_earlier_run_is_answered_at_once(
    server: SandboxServer, client: SandboxClient
) -> None:
    """A page left open through a restart asks after a number this run has not reached."""
    info = await client.info()
    assert re.fullmatch(r"[0-9a-f]{16}", info["epoch"])
    ahead = info["last_seq"] + 1000
    started = time.monotonic()
    body = await client.request("GET", "/events", params={"after": ahead, "timeout": 10})
    assert time.monotonic() - started < 5
    assert body["events"] == [] and body["last_seq"] < ahead
    assert body["epoch"] == info["epoch"] == server.world.epoch
