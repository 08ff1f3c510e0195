"""Input read kindly no more (issue 7): strangers told how to join, unknown commands answered,
and descriptions as long as Telegram allows, in one message or several; zh and en."""

from __future__ import annotations

from handlers.menu import NOT_REGISTERED, NOT_YOURS, UNKNOWN_COMMAND, commands_for
from models.enums import Role
from services import cases
from tests.e2e.harness import running_bot
from tests.e2e.helpers import (
    KUNHAO_CODE,
    KUNHAO_PROJECT,
    STORY,
    assert_translated,
    bot_messages_since,
    case_count,
    cast,
    category,
    expect_silence,
    latest_case,
    mark,
    press_label,
    settle,
    tr,
    wait_text,
)

STRANGER = 9101  # not in the demo organisation: has started the bot, has no role


def _menu(lang: str, roles: frozenset[Role]) -> list[str]:
    return [f"/{c.name} — {tr(lang, c.description)}" for c in commands_for(roles)]


@STORY
async def test_a_stranger_is_told_how_to_join(db_url: str, lang: str) -> None:
    async with running_bot(db_url) as bot:
        people = await cast(bot, lang, 2001)
        stranger = await bot.client.persona(STRANGER, "路人", language_code=lang)
        start = await mark(bot)
        for text, command in [
            ("/report", "report"),
            ("/report permit 厂区断电三天，急需恢复供电", "report"),
            ("/cases", "cases"),
            ("/tasks", "tasks"),
            ("/queue", "queue"),
            ("/case 2026-0001", "case"),
        ]:
            sent = await stranger.send(text)
            reply = await stranger.wait_for_bot_message(after=sent, timeout=15)
            assert reply.body == "⚠️ " + tr(lang, NOT_REGISTERED, command=command), reply.body
            assert "/start" in reply.body
        assert await case_count(bot) == 0
        await expect_silence(bot, start, people[2001])
        assert_translated(lang)


@STORY
async def test_an_unknown_command_is_answered_with_the_users_commands(
    db_url: str, lang: str
) -> None:
    async with running_bot(db_url) as bot:
        people = await cast(bot, lang, 1001, 3002)
        wang, drc = people[1001], people[3002]
        stranger = await bot.client.persona(STRANGER, "路人", language_code=lang)
        for user, text, command, roles in [
            (wang, "/reprot permit typo", "reprot", frozenset({Role.ENTERPRISE})),
            (drc, "/taks", "taks", frozenset({Role.LIAISON})),
            (stranger, "/Hello", "hello", frozenset()),
        ]:
            sent = await user.send(text)
            reply = await user.wait_for_bot_message(after=sent, timeout=15)
            lines = [tr(lang, UNKNOWN_COMMAND, command=command), "", *_menu(lang, roles)]
            assert reply.body == "\n".join(lines), reply.body
        # A command of another role's menu is not theirs: said so, with their own commands.
        for user, text, roles in [
            (wang, "/tasks", frozenset({Role.ENTERPRISE})),
            (drc, "/report permit 厂区断电三天，急需恢复供电", frozenset({Role.LIAISON})),
        ]:
            sent = await user.send(text)
            reply = await user.wait_for_bot_message(after=sent, timeout=15)
            command = text.split()[0].removeprefix("/")
            lines = ["⚠️ " + tr(lang, NOT_YOURS, command=command), "", *_menu(lang, roles)]
            assert reply.body == "\n".join(lines), reply.body
        assert await case_count(bot) == 0
        # Commands handled elsewhere are not taken, nor is text inside a conversation.
        sent = await wang.send("/report")
        form = await wait_text(wang, lang, "New report. What kind of problem is it?", after=sent)
        sent = await wang.send("/help")
        await wait_text(wang, lang, "What you can do", after=sent)
        pressed = await press_label(wang, form, category(lang, "utility"))
        await settle(bot, pressed)
        pressed = await press_label(wang, None, KUNHAO_PROJECT)
        await settle(bot, pressed)
        sent = await wang.send("厂区断电三天，急需恢复供电")
        await wait_text(
            wang, lang, "Description saved ({length} characters).", length=13, after=sent
        )
        assert_translated(lang)


LONG_ONE_LINE = "停" * (4096 - len("/report permit "))


@STORY
async def test_a_description_as_long_as_one_message(db_url: str, lang: str) -> None:
    async with running_bot(db_url) as bot:
        people = await cast(bot, lang, 1001, 2001, 2002)
        wang, officer = people[1001], people[2001]
        sent = await wang.send(f"/report permit {LONG_ONE_LINE}")
        reply = await wang.wait_for_bot_message(after=sent, timeout=15)
        await settle(bot, sent)
        case = await latest_case(bot, KUNHAO_CODE)
        assert case.description == LONG_ONE_LINE
        assert tr(lang, "Follow it with /case {number}.", number=case.number) in reply.body
        # The office's announcement fits one message: the description is shortened there.
        announced = await wait_text(officer, lang, "New case reported")
        assert len(announced.body) <= 4096 and "停" * 1000 in announced.body
        assert_translated(lang)


@STORY
async def test_the_guided_form_takes_a_description_in_several_messages(
    db_url: str, lang: str
) -> None:
    parts = ["一" * 4096, "二" * 4096, "三" * 1000]
    async with running_bot(db_url) as bot:
        people = await cast(bot, lang, 1001, 2001, 2002)
        wang = people[1001]
        sent = await wang.send("/report")
        form = await wait_text(wang, lang, "New report. What kind of problem is it?", after=sent)
        pressed = await press_label(wang, form, category(lang, "utility"))
        await settle(bot, pressed)
        pressed = await press_label(wang, None, tr(lang, "No particular project"))
        form = await wang.wait_for_edit(form, after=pressed)
        assert tr(lang, "A long description may come in several messages.") in form.body
        sent = await wang.send(parts[0])
        await wait_text(wang, lang, "Description saved ({length} characters).", length=4096)
        for count, part in ((2, parts[1]), (3, parts[2])):
            sent = await wang.send(part)
            await wait_text(
                wang,
                lang,
                "Added to the description ({length} characters in all). Send more, add photos "
                "or documents, or continue.",
                length=sum(map(len, parts[:count])) + count - 1,
                after=sent,
            )
        # Past the cap the last part is refused, and nothing typed before is lost.
        kept = sum(map(len, parts)) + 2
        sent = await wang.send("四" * 1000)
        refusal = await wang.wait_for_bot_message(after=sent, timeout=15)
        expected = tr(
            lang,
            "That would make the description {length} characters long; at most {limit} are "
            "accepted. This last message was not added; the {kept} characters before it are "
            "kept. Continue with those, or send a shorter addition.",
            length=kept + 1001,
            limit=cases.MAX_DESCRIPTION,
            kept=kept,
        )
        assert refusal.body == "⚠️ " + expected, refusal.body[:200]
        pressed = await press_label(wang, None, tr(lang, "Continue"))
        await settle(bot, pressed)
        pressed = await press_label(wang, None, tr(lang, "Submit"))
        await settle(bot, pressed)
        case = await latest_case(bot, KUNHAO_CODE)
        assert case.description == "\n".join(parts)
        # /case shows all of it, in as many messages as it takes.
        since = await mark(bot)
        sent = await wang.send(f"/case {case.number}")
        await settle(bot, sent)
        shown = await bot_messages_since(wang, since)
        assert len(shown) >= 3 and all(len(m.body) <= 4096 for m in shown)
        body = "".join(m.body for m in shown)
        assert all(part in body for part in parts)
        assert_translated(lang)
