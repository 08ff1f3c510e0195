"""The sandbox's web chat page in Debian's Chromium, talking to the real duban application."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

from bot.i18n import t
from services.demo import PERSONAS
from tests.e2e.harness import running_bot
from tests.e2e.pages import DESKTOP, open_page
from tests.sandbox.test_browser import WAIT_MS, require_chromium

pytestmark = pytest.mark.browser


async def test_persona_starts_and_reports_from_the_browser(tmp_path: Path) -> None:
    require_chromium()
    async with running_bot(f"sqlite:///{tmp_path}/browser.db") as bot:
        for p in PERSONAS:
            bot.server.add_persona(p.telegram_id, p.name, language_code=p.language, note=p.note)
        async with open_page(bot.server.url, viewport=DESKTOP, locale=None) as page:
            await page.locator('.persona[data-user-id="1001"]').click()
            composer = page.locator("#composer textarea")
            await expect(composer).to_be_enabled()
            await composer.fill("/start")
            await page.locator("#send").click()
            answer = page.locator(".msg.bot").last
            await expect(answer).to_contain_text("王经理", timeout=WAIT_MS)

            await composer.fill("/report")
            await composer.press("Enter")
            category = page.locator(".kb-button", has_text=t("zh", "Permits and approvals"))
            await category.click(timeout=WAIT_MS)
            # The form is edited in place to the next question.
            await expect(page.locator(".msg.bot").last).to_contain_text(
                t("zh", "Which project is it about?"), timeout=WAIT_MS
            )
            await page.screenshot(path=str(tmp_path / "duban-chat.png"), full_page=True)
    assert (tmp_path / "duban-chat.png").stat().st_size > 10_000
