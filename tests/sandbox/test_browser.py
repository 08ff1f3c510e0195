"""The web chat page in Debian's headless Chromium, driven by Playwright."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright, expect
from telegram.ext import Application

from sandbox.media import make_png
from sandbox.server import SandboxServer
from tests.sandbox.conftest import ALICE

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 10_000


def require_chromium() -> None:
    """Fail on CI (the image must have it), skip on a developer machine without it."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh to install Debian's Chromium"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


async def choose_persona(page: Page, user_id: int) -> None:
    await page.locator(f'.persona[data-user-id="{user_id}"]').click()
    await expect(page.locator("#acting-name")).to_contain_text(str(user_id))
    await expect(page.locator("#composer textarea")).to_be_enabled()


async def test_chat_page_end_to_end(
    server: SandboxServer, demo_app: Application, tmp_path: Path
) -> None:
    # The project's real factory bot.app.build_application(settings) is built elsewhere; this
    # test drives the small demo Application so it checks the page and the emulator only.
    require_chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 820})
            await page.goto(server.url)
            await expect(page.locator("body[data-ready=true]")).to_be_attached(timeout=WAIT_MS)
            await expect(page.locator(f'.persona[data-user-id="{ALICE}"]')).to_contain_text(
                "企业联系人"
            )

            await choose_persona(page, ALICE)
            await page.locator("#composer textarea").fill("/start")
            await page.locator("#composer textarea").press("Enter")
            await expect(page.locator(".msg.user").last).to_contain_text("/start")
            greeting = page.locator(".msg.bot").filter(has_text="欢迎")
            await expect(greeting).to_be_visible(timeout=WAIT_MS)
            # HTML from the bot is rendered with Telegram's tags only.
            await expect(greeting.locator(".text b")).to_have_text("张三")
            await expect(greeting.locator(".kb-button")).to_have_count(3)

            # Tap a button: the toast appears and the same bubble is edited in place.
            message_id = await greeting.get_attribute("data-message-id")
            await greeting.locator('.kb-button[data-callback-data="tasks"]').click()
            edited = page.locator(f'.msg.bot[data-message-id="{message_id}"]')
            await expect(edited).to_contain_text("我的任务", timeout=WAIT_MS)
            await expect(edited).to_have_attribute("data-edited", "true")
            await expect(edited.locator(".meta .edited")).to_be_visible()
            await expect(edited.locator(".text code").first).to_have_text("待处理")
            await edited.locator('.kb-button[data-callback-data="back"]').click()
            await expect(edited.locator('.kb-button[data-callback-data="ack"]')).to_be_visible(
                timeout=WAIT_MS
            )
            await edited.locator('.kb-button[data-callback-data="ack"]').click()
            await expect(page.locator("#toast")).to_have_text("已确认 ✓", timeout=WAIT_MS)
            await expect(edited).to_contain_text("已确认 — 张三", timeout=WAIT_MS)
            await expect(edited.locator(".kb-button")).to_have_count(0)

            # User text is shown as text, never as markup.
            await page.locator("#composer textarea").fill('<img src=x onerror="alert(1)"> & 你好')
            await page.locator("#send").click()
            echo = page.locator(".msg.bot").filter(has_text="收到：<img")
            await expect(echo).to_be_visible(timeout=WAIT_MS)
            await expect(page.locator("#messages img:not(.photo)")).to_have_count(0)

            # A photo through the attach button.
            await page.locator("#file-input").set_input_files(
                {"name": "现场.png", "mimeType": "image/png", "buffer": make_png(48, 32)}
            )
            await expect(page.locator(".msg.user img.photo")).to_be_visible(timeout=WAIT_MS)
            await expect(page.locator(".msg.bot").filter(has_text="收到图片 48×32")).to_be_visible(
                timeout=WAIT_MS
            )

            # sendChatAction shows the typing indicator.
            await demo_app.bot.send_chat_action(ALICE, "typing")
            await expect(page.locator("#typing-indicator")).to_be_visible(timeout=WAIT_MS)
            await expect(page.locator("#chat-status")).to_contain_text("正在输入")

            shot = tmp_path / "sandbox-chat.png"
            await page.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
        finally:
            await browser.close()


async def test_create_persona_and_alert(
    server: SandboxServer, demo_app: Application, tmp_path: Path
) -> None:
    require_chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1100, "height": 760})
            await page.goto(server.url)
            await expect(page.locator("body[data-ready=true]")).to_be_attached(timeout=WAIT_MS)
            await page.locator("#new-user-id").fill("8008")
            await page.locator("#new-first-name").fill("赵六")
            await page.locator("#new-note").fill("园区网格员 · 三号楼")
            await page.locator("#create-persona").click()
            await expect(page.locator('.persona[data-user-id="8008"]')).to_contain_text("赵六")
            await expect(page.locator('.persona[data-user-id="8008"]')).to_have_class(
                "persona active"
            )
            assert server.world.personas[8008].note == "园区网格员 · 三号楼"

            await page.locator("#composer textarea").fill("/start")
            await page.locator("#send").click()
            help_button = page.locator('.kb-button[data-callback-data="help"]')
            await expect(help_button).to_be_visible(timeout=WAIT_MS)
            await help_button.click()
            await expect(page.locator("#alert-dialog")).to_be_visible(timeout=WAIT_MS)
            await expect(page.locator("#alert-text")).to_contain_text("/start")
            await page.screenshot(path=str(tmp_path / "sandbox-alert.png"))
            await page.locator("#alert-ok").click()
            await expect(page.locator("#alert-dialog")).to_be_hidden()
        finally:
            await browser.close()


def test_missing_chromium_fails_on_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(f"{__name__}.CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"ensure-chromium\.sh"):
        require_chromium()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match=r"ensure-chromium\.sh"):
        require_chromium()
