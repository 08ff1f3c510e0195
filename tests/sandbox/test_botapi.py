"""Bot API methods of the emulator, driven through PTB's own telegram.Bot and raw HTTP."""

from __future__ import annotations

import json

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageEntity,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken

from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from tests.sandbox.conftest import ALICE, BOB, make_bot
from tests.sandbox.helpers import assert_ptb_error, raw_call

KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("确认", callback_data="ok"),
            InlineKeyboardButton("否", callback_data="no"),
        ]
    ]
)


async def test_get_me_uses_token_digits_and_configured_username(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 7000001
    assert me.is_bot
    assert me.username == "duban_bot"
    assert me.first_name == "督办 duban"


async def test_bot_username_comes_from_server_config() -> None:
    server = SandboxServer(port=0, bot_username="other_bot")
    await server.start()
    try:
        async with make_bot(server, "42:xyz") as other:
            assert (await other.get_me()).username == "other_bot"
    finally:
        await server.stop()


async def test_malformed_token_is_unauthorized(server: SandboxServer) -> None:
    response = await raw_call(server, "getMe", token="not-a-token")
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    with pytest.raises(InvalidToken):
        async with make_bot(server, "garbage"):
            pass


async def test_unknown_method_is_not_found(server: SandboxServer, bot: Bot) -> None:
    response = await raw_call(server, "sendTeleport")
    assert response.status_code == 404
    assert response.json()["description"] == "Not Found"
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTeleport")


async def test_method_names_are_case_insensitive_and_get_works(server: SandboxServer) -> None:
    response = await raw_call(server, "GETME", http_method="GET")
    assert response.json()["result"]["username"] == "duban_bot"
    response = await raw_call(
        server, "sendmessage", http_method="GET", params={"chat_id": ALICE, "text": "via query"}
    )
    assert response.json()["result"]["text"] == "via query"


async def test_json_body_with_nested_objects(server: SandboxServer) -> None:
    response = await raw_call(
        server,
        "sendMessage",
        json={
            "chat_id": ALICE,
            "text": "json",
            "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "1"}]]},
        },
    )
    result = response.json()["result"]
    assert result["reply_markup"] == {"inline_keyboard": [[{"text": "a", "callback_data": "1"}]]}


async def test_form_body_with_json_string_markup(server: SandboxServer) -> None:
    markup = json.dumps({"inline_keyboard": [[{"text": "b", "callback_data": "2"}]]})
    response = await raw_call(
        server, "sendMessage", data={"chat_id": str(BOB), "text": "form", "reply_markup": markup}
    )
    assert response.json()["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "b"


async def test_send_message_is_telegram_shaped(server: SandboxServer) -> None:
    first = (await raw_call(server, "sendMessage", data={"chat_id": ALICE, "text": "一"})).json()
    second = (await raw_call(server, "sendMessage", data={"chat_id": ALICE, "text": "二"})).json()
    other = (await raw_call(server, "sendMessage", data={"chat_id": BOB, "text": "x"})).json()
    message = first["result"]
    assert first["ok"] is True
    assert message["from"] == {
        "id": 7000001,
        "is_bot": True,
        "first_name": "督办 duban",
        "username": "duban_bot",
    }
    assert message["chat"] == {
        "id": ALICE,
        "type": "private",
        "first_name": "张三",
        "username": "zhangsan",
    }
    assert isinstance(message["date"], int)
    assert "entities" not in message
    # message_id counts per chat.
    assert second["result"]["message_id"] == message["message_id"] + 1
    assert other["result"]["message_id"] == 1


async def test_html_parse_mode_produces_entities(bot: Bot) -> None:
    message = await bot.send_message(
        ALICE,
        '<b>粗</b> <a href="https://example.org">链接</a> &lt;tag&gt;',
        parse_mode=ParseMode.HTML,
        reply_markup=KEYBOARD,
    )
    assert message.text == "粗 链接 <tag>"
    assert [e.type for e in message.entities] == [MessageEntity.BOLD, MessageEntity.TEXT_LINK]
    assert message.entities[1].url == "https://example.org"
    assert message.reply_markup == KEYBOARD


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<b>unclosed", "can't parse entities"),
        ("<script>alert(1)</script>", 'can\'t parse entities: unsupported start tag "script"'),
        ("1 < 2", "can't parse entities"),
        ("R&D", "can't parse entities"),
    ],
)
async def test_bad_html_is_rejected(bot: Bot, text: str, error: str) -> None:
    with pytest.raises(BadRequest) as excinfo:
        await bot.send_message(ALICE, text, parse_mode=ParseMode.HTML)
    assert str(excinfo.value).lower().startswith(error.lower())


async def test_text_length_limit_is_measured_on_visible_text(bot: Bot) -> None:
    ok = await bot.send_message(ALICE, "<b>" + "字" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    assert len(ok.text) == 4096
    with pytest.raises(BadRequest) as excinfo:
        await bot.send_message(ALICE, "a" * 4097)
    assert_ptb_error(excinfo, "Bad Request: message is too long")


@pytest.mark.parametrize("text", ["", "   ", "<b></b>"])
async def test_empty_text_is_rejected(server: SandboxServer, text: str) -> None:
    response = await raw_call(
        server, "sendMessage", data={"chat_id": ALICE, "text": text, "parse_mode": "HTML"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message text is empty",
    }


async def test_unknown_chat(bot: Bot) -> None:
    with pytest.raises(BadRequest) as excinfo:
        await bot.send_message(999999, "hi")
    assert_ptb_error(excinfo, "Bad Request: chat not found")
    with pytest.raises(BadRequest):
        await bot.get_chat(999999)


async def test_callback_data_over_64_bytes_is_rejected(bot: Bot) -> None:
    # 22 CJK characters are 66 UTF-8 bytes although only 22 characters.
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="办" * 22)]])
    with pytest.raises(BadRequest) as excinfo:
        await bot.send_message(ALICE, "hi", reply_markup=too_long)
    assert_ptb_error(excinfo, "Bad Request: BUTTON_DATA_INVALID")
    fits = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="a" * 64)]])
    await bot.send_message(ALICE, "hi", reply_markup=fits)


async def test_edit_message_text_and_markup(bot: Bot, client: SandboxClient) -> None:
    sent = await bot.send_message(ALICE, "原文", reply_markup=KEYBOARD)
    edited = await bot.edit_message_text(
        "<i>新</i>", ALICE, sent.message_id, parse_mode=ParseMode.HTML, reply_markup=KEYBOARD
    )
    assert edited.text == "新"
    assert edited.edit_date is not None
    assert edited.reply_markup == KEYBOARD
    # Without reply_markup the keyboard goes away, as in Telegram.
    plain = await bot.edit_message_text("新 2", ALICE, sent.message_id)
    assert plain.reply_markup is None
    marked = await bot.edit_message_reply_markup(ALICE, sent.message_id, reply_markup=KEYBOARD)
    assert marked.reply_markup == KEYBOARD
    view = await client.persona(ALICE, "张三")
    current = await view.message(sent.message_id)
    assert current.text == "新 2"
    assert current.edit_count == 3
    assert current.buttons == [("确认", "ok"), ("否", "no")]


async def test_edit_errors(bot: Bot, client: SandboxClient) -> None:
    sent = await bot.send_message(ALICE, "same", reply_markup=KEYBOARD)
    with pytest.raises(BadRequest) as excinfo:
        await bot.edit_message_text("same", ALICE, sent.message_id, reply_markup=KEYBOARD)
    assert str(excinfo.value).lower().startswith("message is not modified: ")
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(ALICE, sent.message_id, reply_markup=KEYBOARD)
    with pytest.raises(BadRequest) as excinfo:
        await bot.edit_message_text("x", ALICE, 4242)
    assert_ptb_error(excinfo, "Bad Request: message to edit not found")
    user_message = await (await client.persona(ALICE, "张三")).send("mine")
    with pytest.raises(BadRequest) as excinfo:
        await bot.edit_message_text("hacked", ALICE, user_message.message_id)
    assert_ptb_error(excinfo, "Bad Request: message can't be edited")
    with pytest.raises(BadRequest) as excinfo:
        await bot.edit_message_text("x" * 4097, ALICE, sent.message_id)
    assert_ptb_error(excinfo, "Bad Request: message is too long")


async def test_edit_caption(bot: Bot) -> None:
    from sandbox.media import make_png

    photo = await bot.send_photo(ALICE, make_png(), caption="旧")
    edited = await bot.edit_message_caption(
        ALICE, photo.message_id, caption="<b>新</b>", parse_mode="HTML"
    )
    assert edited.caption == "新"
    assert edited.caption_entities[0].type == MessageEntity.BOLD
    text = await bot.send_message(ALICE, "t")
    with pytest.raises(BadRequest, match=r"(?i)no caption"):
        await bot.edit_message_caption(ALICE, text.message_id, caption="c")
    with pytest.raises(BadRequest, match=r"(?i)no text"):
        await bot.edit_message_text("t", ALICE, photo.message_id)


async def test_delete_message(bot: Bot, client: SandboxClient) -> None:
    sent = await bot.send_message(ALICE, "bye")
    assert await bot.delete_message(ALICE, sent.message_id) is True
    with pytest.raises(BadRequest) as excinfo:
        await bot.delete_message(ALICE, sent.message_id)
    assert_ptb_error(excinfo, "Bad Request: message to delete not found")
    user = await client.persona(ALICE, "张三")
    assert [m.message_id for m in await user.messages()] == []
    deleted = await user.messages(include_deleted=True)
    assert deleted[0].deleted


async def test_answer_callback_query(bot: Bot, client: SandboxClient) -> None:
    sent = await bot.send_message(ALICE, "press", reply_markup=KEYBOARD)
    user = await client.persona(ALICE, "张三")
    pressed = await user.press(sent.message_id, data="ok")
    updates = await bot.get_updates(timeout=5)
    query = updates[-1].callback_query
    assert query.id == pressed.callback_query_id
    assert query.data == "ok"
    assert query.message.message_id == sent.message_id
    assert await query.answer("好的", show_alert=True) is True
    with pytest.raises(BadRequest) as excinfo:
        await query.answer("again")
    assert_ptb_error(
        excinfo, "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("12345")
    answers = await user.callback_answers()
    assert [(a.text, a.show_alert, a.data) for a in answers] == [("好的", True, "ok")]


async def test_send_chat_action(bot: Bot, client: SandboxClient) -> None:
    user = await client.persona(ALICE, "张三")
    assert await bot.send_chat_action(ALICE, "typing") is True
    events, _ = await client.events(user.cursor, chat_id=ALICE)
    assert events[-1]["type"] == "chat_action"
    assert events[-1]["action"] == "typing"
    with pytest.raises(BadRequest, match=r"(?i)wrong parameter action"):
        await bot.send_chat_action(ALICE, "dancing")


async def test_commands_per_scope_and_language(bot: Bot) -> None:
    default = [BotCommand("start", "开始"), BotCommand("help", "帮助")]
    english = [BotCommand("start", "Start")]
    private = [BotCommand("report", "上报")]
    alice_only = [BotCommand("admin", "管理")]
    assert await bot.set_my_commands(default)
    assert await bot.set_my_commands(english, language_code="en")
    assert await bot.set_my_commands(private, scope=BotCommandScopeAllPrivateChats())
    assert await bot.set_my_commands(alice_only, scope=BotCommandScopeChat(ALICE))
    assert await bot.get_my_commands() == tuple(default)
    assert await bot.get_my_commands(language_code="en") == tuple(english)
    assert await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats()) == tuple(private)
    assert await bot.get_my_commands(scope=BotCommandScopeChat(ALICE)) == tuple(alice_only)
    assert await bot.get_my_commands(scope=BotCommandScopeChat(BOB)) == ()
    assert await bot.delete_my_commands(language_code="en")
    assert await bot.get_my_commands(language_code="en") == ()
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad Command", "x")])


async def test_get_chat_close_and_log_out(bot: Bot) -> None:
    chat = await bot.get_chat(ALICE)
    assert chat.id == ALICE
    assert chat.type == "private"
    assert chat.first_name == "张三"
    assert await bot.close() is True
    assert await bot.log_out() is True


async def test_reply_to_message(bot: Bot, client: SandboxClient) -> None:
    user = await client.persona(ALICE, "张三")
    asked = await user.send("问题")
    answer = await bot.send_message(ALICE, "回答", reply_to_message_id=asked.message_id)
    assert answer.reply_to_message.message_id == asked.message_id
    assert answer.reply_to_message.text == "问题"
    again = await bot.send_message(
        ALICE, "again", reply_parameters=ReplyParameters(message_id=asked.message_id)
    )
    assert again.reply_to_message.message_id == asked.message_id
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(ALICE, "x", reply_to_message_id=9999)
    lenient = await bot.send_message(
        ALICE, "x", reply_parameters=ReplyParameters(9999, allow_sending_without_reply=True)
    )
    assert lenient.reply_to_message is None
    assert (await user.message(answer.message_id)).reply_to_message_id == asked.message_id


async def test_blocked_persona_gives_forbidden(bot: Bot, client: SandboxClient) -> None:
    user = await client.persona(BOB, "Bob", "en")
    await user.block()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(BOB, "hello?")
    await user.send("/start")
    assert (await bot.send_message(BOB, "welcome back")).text == "welcome back"


async def test_profile_methods_are_accepted(bot: Bot) -> None:
    assert await bot.set_my_description("督办机器人")
    assert (await bot.get_my_description()).description == "督办机器人"
    assert (await bot.get_my_name()).name == "督办 duban"
    assert await bot.set_chat_menu_button()
