"""The page's guided demo drives the Kunhao story end to end against the real bot."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from models.enums import AssignmentStatus, CaseStatus, Satisfaction
from services.demo import PERSONAS
from tests.e2e.harness import running_bot
from tests.e2e.helpers import KUNHAO_CODE, assignments_of, latest_case
from tests.e2e.pages import DESKTOP, PHONE, open_beside, open_page
from tests.sandbox.test_browser import WAIT_MS, require_chromium
from tests.sandbox.test_page import ARTIFACTS, stub_clock

pytestmark = pytest.mark.browser

# Each step's actions wait up to 15 s for each answer; the completion step has eight.
STEP_MS = 120_000


async def do_step(page: Page, index: int) -> None:
    """Press "Do it for me" on step ``index`` and wait until the panel says it is done."""
    await expect(page.locator("#demo-step")).to_have_attribute("data-step", str(index))
    await page.locator("#demo-do").click()
    status = page.locator("#demo-status")
    await expect(status).not_to_have_attribute("data-state", "working", timeout=STEP_MS)
    state = await status.get_attribute("data-state")
    assert state == "done", (index, state, await status.text_content())


async def test_demo_panel_plays_the_kunhao_story(tmp_path: Path) -> None:
    require_chromium()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with running_bot(f"sqlite:///{tmp_path}/demo.db") as bot:
        for p in PERSONAS:
            bot.server.add_persona(p.telegram_id, p.name, language_code=p.language, note=p.note)
        async with open_page(bot.server.url, viewport=DESKTOP, locale="zh-CN") as page:
            await expect(page.locator("body[data-ready=true]")).to_be_attached(timeout=WAIT_MS)
            await expect(page.locator("#demo-panel")).to_be_visible()
            await expect(page.locator(".demo-story").first).to_have_attribute(
                "aria-pressed", "true"
            )
            steps = 8
            await expect(page.locator(".demo-progress")).to_have_text(f"第 1 步，共 {steps} 步")

            await do_step(page, 0)  # 王经理 reports
            await expect(page.locator("#acting-name")).to_contain_text("1001")
            await expect(page.locator(".msg.bot").last).to_contain_text("/case")
            for index in range(1, 4):  # open the form, add two departments, issue
                await page.locator("#demo-next").click()
                await do_step(page, index)
            await expect(page.locator("#acting-name")).to_contain_text("2001")
            await expect(page.locator(".msg.bot").last).to_contain_text("下发")
            await page.screenshot(path=str(ARTIFACTS / "demo-kunhao-dispatched.png"))
            case = await latest_case(bot, KUNHAO_CODE)
            orders = await assignments_of(bot, case.number)
            assert sorted(orders) == ["drc", "egov", "epb", "gov"]

            for index in range(4, steps):  # sign for, complete, confirm, /cases
                await page.locator("#demo-next").click()
                await do_step(page, index)
                if index == 4:
                    orders = await assignments_of(bot, case.number)
                    assert {a.status for a in orders.values()} == {AssignmentStatus.ACKNOWLEDGED}
            await expect(page.locator("#demo-status")).to_contain_text("演示完了")
            await expect(page.locator("#demo-next")).to_be_disabled()
            await expect(page.locator("#acting-name")).to_contain_text("1001")
            await expect(page.locator(".msg.bot").last).to_contain_text(case.number)
            await page.screenshot(path=str(ARTIFACTS / "demo-kunhao-closed.png"))

            # The same chats on a phone: a liaison's card with its buttons at full width.
            phone = await open_beside(page, f"{bot.server.url}/#user=3001", viewport=PHONE)
            await expect(phone.locator("#acting-name")).to_contain_text("3001")
            await expect(phone.locator(".msg.bot").last).to_contain_text(case.number)
            box = await phone.locator("#message-input").bounding_box()
            assert box is not None and box["width"] >= 0.6 * 390
            await phone.screenshot(path=str(ARTIFACTS / "demo-kunhao-phone.png"))
        case = await latest_case(bot, KUNHAO_CODE)
        assert case.status == CaseStatus.CLOSED
        assert case.satisfaction == Satisfaction.SATISFIED
        orders = await assignments_of(bot, case.number)
        assert {a.status for a in orders.values()} == {AssignmentStatus.COMPLETED}


async def test_demo_panel_sets_up_the_ignored_assignment(tmp_path: Path) -> None:
    """Story 2: the report, the dispatch with the defaults, one completes, the clock moves."""
    require_chromium()
    async with running_bot(f"sqlite:///{tmp_path}/demo.db") as bot:
        for p in PERSONAS:
            bot.server.add_persona(p.telegram_id, p.name, language_code=p.language, note=p.note)
        async with open_page(bot.server.url, viewport=DESKTOP, locale="en-GB") as page:
            await expect(page.locator("body[data-ready=true]")).to_be_attached(timeout=WAIT_MS)
            await page.locator(".demo-story").nth(1).click()
            await expect(page.locator(".demo-progress")).to_have_text("Step 1 of 6")
            await do_step(page, 0)
            for index in (1, 2):
                await page.locator("#demo-next").click()
                await do_step(page, index)
            await expect(page.locator("#acting-name")).to_contain_text("3003")
            # The clock steps move the clock, then show the chat to watch (the clock API
            # itself is answered here in the browser; its server side is tested elsewhere).
            advances = await stub_clock(page)
            await page.reload()
            await expect(page.locator("#clock")).to_be_visible(timeout=WAIT_MS)
            await page.locator("#demo-next").click()
            await do_step(page, 3)
            assert advances == [{"by": "next"}]
            await expect(page.locator("#acting-name")).to_contain_text("3002")
            await expect(page.locator("#toast")).to_contain_text("1h")
        case = await latest_case(bot, KUNHAO_CODE)
        orders = await assignments_of(bot, case.number)
        assert orders["epb"].status == AssignmentStatus.COMPLETED
        assert orders["drc"].status == AssignmentStatus.ISSUED
        assert sorted(orders) == ["drc", "epb"]
