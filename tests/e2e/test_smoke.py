"""The real application polling the sandbox answers several users at once."""

from __future__ import annotations

import asyncio

from tests.e2e.harness import running_bot


async def test_start_and_help_for_two_users_at_once(db_url: str) -> None:
    async with running_bot(db_url) as bot:
        wang = await bot.client.persona(1001, "王经理", language_code="zh")
        zheng = await bot.client.persona(3005, "Zheng Wei", language_code="en")
        sent = await asyncio.gather(wang.send("/start"), zheng.send("/start"))
        replies = await asyncio.gather(
            wang.wait_for_bot_message(after=sent[0]), zheng.wait_for_bot_message(after=sent[1])
        )
        assert "督办" in replies[0].text
        assert "Hello Zheng Wei" in replies[1].text

        sent = await asyncio.gather(wang.send("/help"), zheng.send("/help"))
        helps = await asyncio.gather(
            wang.wait_for_bot_message(after=sent[0]), zheng.wait_for_bot_message(after=sent[1])
        )
        # Each sees only the commands of their own role.
        assert "/report" in helps[0].text and "/tasks" not in helps[0].text
        assert "/tasks" in helps[1].text and "/report" not in helps[1].text


async def test_stranger_gets_introduction_and_how_to_join(db_url: str) -> None:
    async with running_bot(db_url) as bot:
        stranger = await bot.client.persona(555, "Stranger", language_code="en")
        sent = await stranger.send("/start")
        reply = await stranger.wait_for_bot_message(after=sent)
        assert "invitation" in reply.text
        sent = await stranger.send("/start not-a-real-code")
        reply = await stranger.wait_for_bot_message(after=sent)
        assert "not valid" in reply.text
