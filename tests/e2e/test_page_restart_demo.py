"""Issue 10: the page's "Restart demo" against the real sandbox, and chats kept across a restart
of the sandbox process, both in Debian's Chromium."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from playwright.async_api import Locator, Page, expect

from bot.i18n import t
from services.demo import PERSONAS
from tests.e2e.helpers import handled
from tests.e2e.pages import DESKTOP, open_page
from tests.e2e.sandbox_runner import sandbox_running, sandbox_settings
from tests.e2e.test_sandbox_clock import TIME
from tests.sandbox.test_browser import WAIT_MS, require_chromium
from tests.sandbox.test_page import ARTIFACTS

pytestmark = pytest.mark.browser

WANG, CHEN = 1001, 2002


async def send(page: Page, text: str) -> None:
    """Type ``text`` into the open chat and press Enter."""
    composer = page.locator("#message-input")
    await expect(composer).to_be_enabled()
    await composer.fill(text)
    await composer.press("Enter")


def last_answer(page: Page) -> Locator:
    return page.locator(".msg.bot").last


async def pick(page: Page, user_id: int) -> None:
    await page.locator(f'.persona[data-user-id="{user_id}"]').click()
    await expect(page.locator("#acting-name")).to_contain_text(str(user_id))


async def test_restart_demo_empties_chats_and_resets_the_clock(tmp_path: Path) -> None:
    require_chromium()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    settings = sandbox_settings(f"sqlite:///{tmp_path}/demo.db", time=TIME)
    async with sandbox_running(settings, str(tmp_path / "sandbox.db")) as (bot, _runner):
        async with open_page(bot.server.url, viewport=DESKTOP, locale="en-GB") as page:
            await expect(page.locator("body[data-ready=true]")).to_be_attached(timeout=WAIT_MS)
            personas = page.locator(".persona")
            await expect(personas).to_have_count(len(PERSONAS))
            await pick(page, WANG)
            await send(page, "/start")
            await expect(last_answer(page)).to_contain_text("王经理", timeout=WAIT_MS)
            await pick(page, CHEN)
            await send(page, "/help")
            await expect(page.locator(".msg.bot")).not_to_have_count(0, timeout=WAIT_MS)
            await page.locator('.clock-button[data-by="1h"]').click()
            await expect(page.locator("#clock")).to_have_attribute(
                "data-offset", "3600", timeout=WAIT_MS
            )
            await expect(page.locator(".persona-preview")).not_to_have_count(0)

            await page.locator("#demo-restart").click()
            status = page.locator("#demo-status")
            await expect(status).to_have_attribute("data-state", "done", timeout=60_000)
            await expect(status).to_have_text("The demo was reset.")
            # Every persona back, none with a message; no chat open, nothing shown.
            await expect(personas).to_have_count(len(PERSONAS))
            await expect(page.locator(".persona-preview")).to_have_count(0)
            await expect(page.locator("#messages .msg")).to_have_count(0)
            await expect(page.locator("#acting-as")).to_be_hidden()
            await expect(page.locator("#no-chat")).to_be_visible()
            await expect(page.locator("#message-input")).to_be_disabled()
            await expect(page.locator("#clock")).to_have_attribute("data-offset", "0")
            await expect(page.locator("#clock-next")).to_have_text("No open deadline")
            await page.screenshot(path=str(ARTIFACTS / "restart-demo-reset.png"))

            # A fresh start: the chat is empty and the new bot answers /start and /report.
            await pick(page, WANG)
            await expect(page.locator("#empty-chat")).to_be_visible()
            await send(page, "/start")
            await expect(last_answer(page)).to_contain_text("王经理", timeout=WAIT_MS)
            await send(page, "/report")
            category = page.locator(".kb-button", has_text=t("zh", "Permits and approvals"))
            await expect(category).to_be_visible(timeout=WAIT_MS)
            ids = await page.locator("#messages .msg").evaluate_all(
                "nodes => nodes.map((n) => Number(n.dataset.messageId))"
            )
            assert ids[0] == 1, ids  # the chat starts again from the first message
        clock = await bot.client.clock()
        assert 0 <= clock["offset_seconds"] < 60
        await handled(bot)


def free_port() -> int:
    """A port nothing listens on now, so both runs of the sandbox serve the same address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def shown_chat(page: Page) -> list[tuple[str, str, bool, str]]:
    """Each message on the page: (id, side, edited mark, text without its time)."""
    return await page.locator("#messages .msg").evaluate_all(
        """nodes => nodes.map((n) => [
            n.dataset.messageId,
            n.classList.contains("bot") ? "bot" : "user",
            n.querySelector(".edited") !== null,
            n.querySelector(".text") ? n.querySelector(".text").firstChild.textContent : "",
        ])"""
    )


async def test_chats_are_shown_again_after_the_sandbox_restarts(tmp_path: Path) -> None:
    require_chromium()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    settings = sandbox_settings(f"sqlite:///{tmp_path}/kept.db", time=TIME)
    store, port = str(tmp_path / "sandbox.db"), free_port()
    async with open_page("about:blank", viewport=DESKTOP, locale="en-GB") as page:
        async with sandbox_running(settings, store, port=port) as (bot, _runner):
            await page.goto(bot.server.url)
            await expect(page.locator("body[data-ready=true]")).to_be_attached(timeout=WAIT_MS)
            # The clock moves first: an hour later the half-filled form would expire.
            await page.locator('.clock-button[data-by="1h"]').click()
            await expect(page.locator("#clock")).to_have_attribute(
                "data-offset", "3600", timeout=WAIT_MS
            )
            await pick(page, WANG)
            await send(page, "/start")
            await expect(last_answer(page)).to_contain_text("王经理", timeout=WAIT_MS)
            await send(page, "/report")
            category = page.locator(".kb-button", has_text=t("zh", "Permits and approvals"))
            await category.click(timeout=WAIT_MS)
            # The form is edited in place to its next question.
            question = t("zh", "Which project is it about?")
            await expect(last_answer(page)).to_contain_text(question, timeout=WAIT_MS)
            await expect(page.locator('.msg[data-edited="true"]')).not_to_have_count(0)
            before = await shown_chat(page)
            await page.screenshot(path=str(ARTIFACTS / "kept-before-restart.png"))
        assert len(before) >= 4 and any(edited for _id, _side, edited, _text in before)

        async with sandbox_running(settings, store, port=port) as (bot, _runner):
            assert bot.server.url == page.url.split("/#")[0]
            # The page left open through the restart picks the chat up again by itself.
            await send(page, "/help")
            await expect(page.locator("#messages .msg")).to_have_count(
                len(before) + 2, timeout=WAIT_MS
            )
            kept, before = before, await shown_chat(page)
            assert before[: len(kept)] == kept
            await page.reload()
            await expect(page.locator("body[data-ready=true]")).to_be_attached(timeout=WAIT_MS)
            # The page reopens 王经理's chat (#user=1001) with the same messages and edits.
            await expect(page.locator("#acting-name")).to_contain_text(str(WANG))
            await expect(page.locator("#messages .msg")).to_have_count(len(before))
            assert await shown_chat(page) == before
            preview = page.locator(f'.persona[data-user-id="{WANG}"] .persona-preview')
            await expect(preview).to_contain_text("/help")  # the answer after the restart
            offset = int(await page.locator("#clock").get_attribute("data-offset") or 0)
            assert offset >= 3600
            await page.screenshot(path=str(ARTIFACTS / "kept-after-restart.png"))
            await send(page, "/cases")
            await expect(page.locator("#messages .msg")).to_have_count(
                len(before) + 2, timeout=WAIT_MS
            )
            await handled(bot)
