"""Issue 10 acceptance: the page's clock moves a drill from dispatch to veto, against the real
sandbox (SandboxRunner: emulator, bot, clock API), driven by the demo panel's story 2.

The sweep job runs once an hour here, so every reminder, overdue notice, supervision order and
veto that appears was caused by a press of the page's clock.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Page, expect
from sqlmodel import select

from models import Assignment, SupervisionOrder
from models.enums import AssignmentStatus
from services.demo import PERSONAS
from tests.e2e.harness import Running
from tests.e2e.helpers import KUNHAO_CODE, assignments_of, departments, has, latest_case, local
from tests.e2e.pages import DESKTOP, open_page
from tests.e2e.sandbox_runner import sandbox_running, sandbox_settings
from tests.e2e.test_demo_panel import do_step
from tests.e2e.test_sandbox_clock import TIME
from tests.sandbox.test_browser import WAIT_MS, require_chromium
from tests.sandbox.test_page import ARTIFACTS

pytestmark = pytest.mark.browser

CONTACT, PARK, DISPATCHER, DRC, EPB, DRC_HEAD, SUPERVISOR = 1001, 2001, 2002, 3002, 3003, 3101, 4001
LANG = "zh"  # every demo persona of the drill speaks Chinese
NAMES = {p.telegram_id: p for p in PERSONAS}


async def assert_once_each(
    bot: Running, slow: Assignment, order: SupervisionOrder, expected: dict[int, set[str]]
) -> None:
    """Each persona's chat holds exactly the deadline messages named for it, once each."""
    names = await departments(bot)
    drc = names["drc"].name_zh
    n, o = slow.number, order.number
    texts = {
        "ack": (
            "Assignment {number} is not signed for yet (it was due by {due}).",
            {"number": n, "due": local(slow.ack_due_at)},
        ),
        "ack.copy": (
            "Copy: {department} has not signed for assignment {number} (due {due}).",
            {"department": drc, "number": n, "due": local(slow.ack_due_at)},
        ),
        "overdue": (
            "Assignment {number} ({department}) missed its deadline {due}.",
            {"number": n, "department": drc, "due": local(slow.due_at)},
        ),
        "supervision": (
            "Supervision order {order} for assignment {number}: complete it by {due}.",
            {"order": o, "number": n, "due": local(order.due_at)},
        ),
        "veto": (
            "Supervision order {order} for assignment {number} ({department}) was not "
            "completed by {due}.",
            {"order": o, "number": n, "department": drc, "due": local(order.due_at)},
        ),
        # The enterprise hears its matter is under supervision (tests/e2e/test_deadlines.py).
        "enterprise": (
            "In your case {case}, assignment {number} of {department} was not completed by its "
            "deadline {missed}. {office} has issued supervision order {order}: it must be "
            "completed by {due}.",
            {
                "case": n.rsplit("-", 1)[0],
                "number": n,
                "department": drc,
                "missed": local(slow.due_at),
                "office": bot.deps.rules.offices.optimization.name_zh,
                "order": o,
                "due": local(order.due_at),
            },
        ),
    }
    for who, wanted in expected.items():
        p = NAMES[who]
        user = await bot.client.persona(who, p.name, p.language)
        got = await user.bot_messages()
        for key, (msgid, values) in texts.items():
            count = sum(has(m, LANG, msgid, **values) for m in got)
            assert count == (key in wanted), (who, key, count, [m.body[:60] for m in got])


def minutes_apart(first: str, second: str) -> int:
    """Minutes between the last HH:MM in each text, across midnight too."""
    a, b = (re.findall(r"(\d\d):(\d\d)", text)[-1] for text in (first, second))
    gap = abs(int(a[0]) * 60 + int(a[1]) - int(b[0]) * 60 - int(b[1]))
    return min(gap, 1440 - gap)


async def press_clock(page: Page, by: str) -> int:
    """Press one of the page's clock buttons; the new offset once the page shows it."""
    before = int(await page.locator("#clock").get_attribute("data-offset") or 0)
    await page.locator(f'.clock-button[data-by="{by}"]').click()
    await expect(page.locator("#clock")).not_to_have_attribute(
        "data-offset", str(before), timeout=WAIT_MS
    )
    after = int(await page.locator("#clock").get_attribute("data-offset") or 0)
    assert after > before
    return after


async def test_the_page_clock_drives_a_drill_from_dispatch_to_veto(tmp_path: Path) -> None:
    require_chromium()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    settings = sandbox_settings(f"sqlite:///{tmp_path}/drill.db", time=TIME)
    async with sandbox_running(settings, str(tmp_path / "sandbox.db")) as (bot, _runner):
        async with open_page(bot.server.url, viewport=DESKTOP, locale="en-GB") as page:
            await expect(page.locator("body[data-ready=true]")).to_be_attached(timeout=WAIT_MS)
            await expect(page.locator("#clock")).to_be_visible(timeout=WAIT_MS)
            await expect(page.locator("#clock-next")).to_have_text("No open deadline")
            # The real server's time reads as a date and time, not as ISO 8601.
            await expect(page.locator("#clock-now")).not_to_contain_text("+08:00")
            await expect(page.locator("#clock-now")).to_contain_text(":")
            await expect(page.locator('.clock-button[data-by="next"]')).to_be_disabled()
            await page.locator(".demo-story").nth(1).click()
            for index in range(3):  # report, dispatch with the defaults, EPB signs for
                if index:
                    await page.locator("#demo-next").click()
                await do_step(page, index)
            case = await latest_case(bot, KUNHAO_CODE)
            orders = await assignments_of(bot, case.number)
            slow, quick = orders["drc"], orders["epb"]
            assert quick.status == AssignmentStatus.COMPLETED, quick.status
            assert slow.status == AssignmentStatus.ISSUED
            await expect(page.locator("#clock-next")).to_contain_text("Next deadline")

            # Step 4: past the sign-for deadline; the page shows 孙联络员's reminder.
            await page.locator("#demo-next").click()
            await do_step(page, 3)
            await expect(page.locator("#acting-name")).to_contain_text(str(DRC))
            await expect(page.locator(".msg.bot").last).to_contain_text(slow.number)
            await page.screenshot(path=str(ARTIFACTS / "drill-sign-for-reminder.png"))
            # The reminder's bubble is stamped with the sandbox time, in the clock's zone.
            stamp = await page.locator(".msg.bot .meta time").last.text_content()
            clock = await page.locator("#clock-now").text_content()
            assert minutes_apart(stamp or "", clock or "") <= 2, (stamp, clock)
            # Step 5: past the completion deadline: overdue notice and supervision order.
            await page.locator("#demo-next").click()
            await do_step(page, 4)
            order = await bot.db.run(lambda s: s.exec(select(SupervisionOrder)).one())
            await expect(page.locator(".msg.bot").last).to_contain_text(order.number)
            # Step 6: past the supervision order's deadline: the veto, shown to 郑书记.
            await page.locator("#demo-next").click()
            await do_step(page, 5)
            await expect(page.locator("#acting-name")).to_contain_text(str(SUPERVISOR))
            await expect(page.locator(".msg.bot").last).to_contain_text(order.number)
            await expect(page.locator("#clock-next")).to_contain_text("No open deadline")
            await expect(page.locator('.clock-button[data-by="next"]')).to_be_disabled()
            await page.screenshot(path=str(ARTIFACTS / "drill-veto.png"))

            # The other two buttons move the clock too; nothing is owed twice.
            hour = await press_clock(page, "1h")
            await expect(page.locator("#toast")).to_contain_text("1h")
            day = await press_clock(page, "1wd")
            assert day - hour >= 86_400
            await expect(page.locator("#clock-next")).to_contain_text("ahead of real time")

        await assert_once_each(
            bot,
            slow,
            order,
            {
                DRC: {"ack", "overdue", "supervision", "veto"},
                DRC_HEAD: {"ack.copy", "overdue", "supervision", "veto"},
                DISPATCHER: {"overdue", "supervision", "veto"},
                SUPERVISOR: {"overdue", "supervision", "veto"},
                EPB: set(),
                CONTACT: {"enterprise"},
                PARK: set(),
            },
        )


async def test_a_working_day_then_an_hour_take_the_drill_to_the_veto(tmp_path: Path) -> None:
    """The other two buttons alone: a working day passes every drill deadline at once (the
    sign-for reminder folded into the overdue notice), an hour more the supervision order's."""
    require_chromium()
    settings = sandbox_settings(f"sqlite:///{tmp_path}/drill.db", time=TIME)
    async with sandbox_running(settings, str(tmp_path / "sandbox.db")) as (bot, _runner):
        async with open_page(bot.server.url, viewport=DESKTOP, locale="zh-CN") as page:
            await expect(page.locator("body[data-ready=true]")).to_be_attached(timeout=WAIT_MS)
            await page.locator(".demo-story").nth(1).click()
            for index in range(3):  # report, dispatch with the defaults, EPB completes
                if index:
                    await page.locator("#demo-next").click()
                await do_step(page, index)
            await expect(page.locator("#clock-next")).to_contain_text("下一截止")
            await press_clock(page, "1wd")
            order = await bot.db.run(lambda s: s.exec(select(SupervisionOrder)).one())
            await expect(page.locator("#clock-next")).to_contain_text("下一截止")
            await press_clock(page, "1h")
            await expect(page.locator("#clock-next")).to_contain_text("没有未到的截止时间")
            await page.locator(f'.persona[data-user-id="{DRC}"]').click()
            await expect(page.locator(".msg.bot").last).to_contain_text(order.number)
        case = await latest_case(bot, KUNHAO_CODE)
        slow = (await assignments_of(bot, case.number))["drc"]
        await assert_once_each(
            bot,
            slow,
            order,
            {
                DRC: {"overdue", "supervision", "veto"},
                DRC_HEAD: {"overdue", "supervision", "veto"},
                DISPATCHER: {"overdue", "supervision", "veto"},
                SUPERVISOR: {"overdue", "supervision", "veto"},
                EPB: set(),
                CONTACT: {"enterprise"},
                PARK: set(),
            },
        )
