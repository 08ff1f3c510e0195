"""The sandbox page on any screen: phone, tablet and laptop widths, keyboard, contrast, clock."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, Route, async_playwright, expect
from telegram.ext import Application

from sandbox.server import SandboxServer
from tests.sandbox.conftest import ALICE
from tests.sandbox.test_browser import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, require_chromium

pytestmark = pytest.mark.browser

# Screenshots are kept for a person to look at (git ignores artifacts/).
ARTIFACTS = Path(os.environ.get("DUBAN_ARTIFACTS", "artifacts")) / "page"

SCREENS = {"phone": (390, 844), "tablet": (768, 1024), "laptop": (1280, 820)}

CLOCK = {
    "now": "2026-11-30T02:00:00+00:00",
    "local": "2026-11-30T10:00:00+08:00",
    "zone": "Asia/Shanghai",
    "offset_seconds": 0,
    "next_deadline": "2026-11-30T06:30:00+00:00",
}


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    require_chromium()
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


async def open_page(
    browser: Browser, server: SandboxServer, screen: str, *, locale: str = "zh-CN"
) -> Page:
    width, height = SCREENS[screen]
    context = await browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = await context.new_page()
    await page.goto(server.url)
    await expect(page.locator("body[data-ready=true]")).to_be_attached(timeout=WAIT_MS)
    return page


async def stub_clock(page: Page, clock: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Answer the clock API inside the browser; returns the advance requests' bodies."""
    current = dict(clock or CLOCK)
    advances: list[dict[str, Any]] = []

    async def get_clock(route: Route) -> None:
        await route.fulfill(json=current)

    async def advance(route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        advances.append(body)
        current.update(now="2026-11-30T03:00:00+00:00", local="2026-11-30T11:00:00+08:00")
        current.update(offset_seconds=3600)
        await route.fulfill(json={"now": current["now"], "moved_seconds": 3600})

    await page.route("**/sandbox/api/clock", get_clock)
    await page.route("**/sandbox/api/clock/advance", advance)
    return advances


async def start_chat(page: Page, *, narrow: bool) -> None:
    """Pick Alice (through the drawer on a narrow screen) and send /start with Enter."""
    persona = page.locator(f'.persona[data-user-id="{ALICE}"]')
    if narrow:
        await expect(persona).to_be_hidden()
        await page.locator("#drawer-button").click()
        await expect(persona).to_be_visible()
    await persona.click()
    await expect(page.locator("#acting-name")).to_contain_text(str(ALICE))
    if narrow:
        # Picking a persona closes the drawer.
        await expect(persona).to_be_hidden()
        await expect(page.locator("#drawer-backdrop")).to_be_hidden()
    composer = page.locator("#message-input")
    await composer.fill("/start")
    await composer.press("Enter")
    await expect(page.locator(".msg.bot .kb-button")).to_have_count(3, timeout=WAIT_MS)


async def box_width(page: Page, selector: str) -> float:
    box = await page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box["width"]


@pytest.mark.parametrize("screen", list(SCREENS))
async def test_the_page_works_at_phone_tablet_and_laptop_width(
    server: SandboxServer, demo_app: Application, browser: Browser, screen: str
) -> None:
    width, _height = SCREENS[screen]
    narrow = width <= 900
    page = await open_page(browser, server, screen)
    await expect(page.locator("#drawer-button")).to_be_visible(visible=narrow)
    await start_chat(page, narrow=narrow)
    if not narrow:
        await page.locator("#demo-close").click()  # open by default on a wide screen

    # The message box keeps most of the width: at least 60% of the screen (of the chat pane
    # beside the persona column on a laptop), and a typed line stays one line.
    pane = width if narrow else await box_width(page, "#chat")
    assert await box_width(page, "#message-input") >= 0.6 * pane
    await page.locator("#message-input").fill("请尽快协调 please coordinate")
    box = await page.locator("#message-input").bounding_box()
    assert box is not None and box["height"] < 60
    await page.locator("#message-input").fill("")
    # Bubbles and their buttons keep a readable width; nothing scrolls sideways.
    greeting = page.locator(".msg.bot").last
    assert await box_width(page, ".msg.bot >> nth=-1") >= min(300, 0.7 * width)
    for button in await greeting.locator(".kb-button").all():
        button_box = await button.bounding_box()
        assert button_box is not None and button_box["width"] >= 100
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"chat-{screen}-{width}.png"))

    # The demo panel opens beside or over the chat and closes again.
    await page.locator("#demo-button").click()
    await expect(page.locator("#demo-panel")).to_be_visible()
    assert await box_width(page, "#demo-panel") <= width
    await page.screenshot(path=str(ARTIFACTS / f"demo-{screen}-{width}.png"))
    await page.locator("#demo-close").click()
    await expect(page.locator("#demo-panel")).to_be_hidden()
    if narrow:
        await page.locator("#drawer-button").click()
        await expect(page.locator("#sidebar")).to_be_visible()
        # Slid fully in, covering part of the chat only.
        await page.wait_for_function(
            "() => document.querySelector('#sidebar').getBoundingClientRect().left === 0"
        )
        assert await box_width(page, "#sidebar") <= 0.86 * width
        await page.screenshot(path=str(ARTIFACTS / f"drawer-{screen}-{width}.png"))


async def test_keyboard_enter_shift_enter_escape_and_tab(
    server: SandboxServer, demo_app: Application, browser: Browser
) -> None:
    page = await open_page(browser, server, "phone")
    await stub_clock(page)
    await page.reload()
    await expect(page.locator("body[data-ready=true]")).to_be_attached(timeout=WAIT_MS)

    # Esc closes the drawer and gives the focus back to its button.
    await page.locator("#drawer-button").click()
    await expect(page.locator(f'.persona[data-user-id="{ALICE}"]')).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(page.locator("#sidebar")).to_be_hidden()
    await expect(page.locator("#drawer-button")).to_be_focused()
    # Enter opens the drawer again; Enter on the focused persona picks it, like a click.
    await page.keyboard.press("Enter")
    await expect(page.locator(f'.persona[data-user-id="{ALICE}"]')).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#acting-name")).to_contain_text(str(ALICE))

    composer = page.locator("#message-input")
    await expect(composer).to_be_focused()
    await composer.press_sequentially("第一行")
    await composer.press("Shift+Enter")
    await composer.press_sequentially("second line")
    assert await composer.input_value() == "第一行\nsecond line"
    await expect(page.locator(".msg.user")).to_have_count(0)
    await composer.press("Enter")
    await expect(page.locator(".msg.user .text")).to_contain_text("第一行\nsecond line")
    assert await composer.input_value() == ""
    await expect(page.locator(".msg.bot").last).to_contain_text("收到：第一行", timeout=WAIT_MS)

    # The bot's buttons are reached with Tab and pressed with Enter; Esc closes the alert.
    await composer.fill("/start")
    await composer.press("Enter")
    help_button = page.locator('.kb-button[data-callback-data="help"]')
    await expect(help_button).to_be_visible(timeout=WAIT_MS)
    reached = await tab_until(page, '.kb-button[data-callback-data="help"]')
    assert reached, "Tab never reached the bot's Help button"
    await page.keyboard.press("Enter")
    await expect(page.locator("#alert-dialog")).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator("#alert-ok")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(page.locator("#alert-dialog")).to_be_hidden()
    await expect(help_button).to_be_focused()

    # Esc closes the command menu and gives the focus back to its button.
    await page.locator("#menu-button").click()
    await expect(page.locator("#commands-menu")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page.locator("#commands-menu")).to_be_hidden()
    await expect(page.locator("#menu-button")).to_be_focused()

    # Esc closes the demo sheet on a phone.
    await page.locator("#demo-button").click()
    await expect(page.locator("#demo-do")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(page.locator("#demo-panel")).to_be_hidden()


async def tab_until(page: Page, selector: str, limit: int = 60) -> bool:
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return True
    return False


FOCUS_STYLE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  return {
    id: el.id || el.className || el.tagName,
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
  };
}"""


async def test_every_control_is_reached_with_tab_and_visibly_focused(
    server: SandboxServer, demo_app: Application, browser: Browser
) -> None:
    page = await open_page(browser, server, "laptop")
    await stub_clock(page)
    await page.reload()
    await expect(page.locator("body[data-ready=true]")).to_be_attached(timeout=WAIT_MS)
    await page.locator(f'.persona[data-user-id="{ALICE}"]').click()
    await page.locator("#message-input").fill("/start")
    await page.locator("#message-input").press("Enter")
    await expect(page.locator(".kb-button")).to_have_count(3, timeout=WAIT_MS)
    await page.locator("body").click(position={"x": 5, "y": 5})
    seen: list[str] = []
    for _ in range(80):
        await page.keyboard.press("Tab")
        focus = await page.evaluate(FOCUS_STYLE)
        if focus is None:  # past the last control the focus leaves the page
            continue
        assert focus["outline"], f"{focus['id']} has no visible focus outline"
        seen.append(focus["id"])
    wanted = [
        "clock-button",
        "persona",
        "new-user-id",
        "create-persona",
        "demo-button",
        "menu-button",
        "attach",
        "message-input",
        "send",
        "kb-button",
        "demo-do",
        "demo-next",
        "demo-restart",
        "demo-persona",
    ]
    missing = [name for name in wanted if not any(name in item for item in seen)]
    assert not missing, (missing, seen)


CONTRAST = """(selectors) => {
  const parse = (value) => {
    const parts = value.match(/[\\d.]+/g).map(Number);
    return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
  };
  const over = (top, bottom) =>
    [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const background = (node) => {
    const layers = [];
    for (let n = node; n; n = n.parentElement) {
      const colour = parse(getComputedStyle(n).backgroundColor);
      if (colour[3] > 0) layers.push(colour);
      if (colour[3] >= 1) break;
    }
    return layers.reverse().reduce((below, layer) => over(layer, below), [255, 255, 255, 1]);
  };
  const channel = (v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const luminance = (c) => 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2]);
  return selectors.map((selector) => {
    const node = document.querySelector(selector);
    if (!node) return [selector, null];
    const bg = background(node);
    const fg = over(parse(getComputedStyle(node).color), bg);
    const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    return [selector, Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100];
  });
}"""

TEXT_ELEMENTS = [
    ".brand-sub",
    ".section-title",
    ".clock-label",
    "#clock-now",
    ".clock-sub",
    ".clock-button",
    ".persona:not(.active) .persona-name",
    ".persona:not(.active) .persona-note",
    ".persona.active .persona-name",
    ".persona.active .persona-note",
    ".persona.active .persona-time",
    ".persona.active .persona-preview",
    "#new-persona input",
    "#create-persona",
    "#chat-title",
    "#chat-status",
    ".acting-label",
    "#acting-name",
    "#demo-button",
    ".day-separator",
    ".msg.user .text",
    ".msg.user .meta",
    ".msg.bot .text",
    ".msg.bot .meta",
    ".msg.bot .text b",
    ".kb-button",
    "#send",
    "#toast",
    "#demo-title",
    ".demo-lang button[aria-pressed=true]",
    ".demo-lang button[aria-pressed=false]",
    ".demo-story[aria-pressed=true]",
    ".demo-story[aria-pressed=false]",
    ".demo-progress",
    ".demo-fields dt",
    ".demo-fields dd",
    ".demo-persona",
    ".demo-look",
    ".demo-show",
    "#demo-do",
    "#demo-next",
    "#demo-restart",
]


async def test_text_contrast_passes_wcag_aa(
    server: SandboxServer, demo_app: Application, browser: Browser
) -> None:
    page = await open_page(browser, server, "laptop")
    await stub_clock(page)
    await page.reload()
    await expect(page.locator("body[data-ready=true]")).to_be_attached(timeout=WAIT_MS)
    await page.locator(f'.persona[data-user-id="{ALICE}"]').click()
    await page.locator("#message-input").fill("/start")
    await page.locator("#message-input").press("Enter")
    await expect(page.locator(".kb-button")).to_have_count(3, timeout=WAIT_MS)
    await page.locator('.kb-button[data-callback-data="ack"]').click()
    await expect(page.locator("#toast")).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator(".kb-button")).to_have_count(0, timeout=WAIT_MS)
    await page.locator("#message-input").fill("/start")
    await page.locator("#message-input").press("Enter")
    await expect(page.locator(".kb-button")).to_have_count(3, timeout=WAIT_MS)
    # The persona list shows the last message a moment after the chat does (a loaded
    # machine once measured before it was there).
    await expect(page.locator(".persona.active .persona-preview")).to_be_attached(timeout=WAIT_MS)
    ratios = dict(await page.evaluate(CONTRAST, TEXT_ELEMENTS))
    missing = [selector for selector, ratio in ratios.items() if ratio is None]
    assert not missing, f"not on the page: {missing}"
    # A persona other than the one acting shows its last message too.
    await page.locator('.persona[data-user-id="1002"]').click()
    await expect(page.locator("#acting-name")).to_contain_text("1002")
    ratios.update(await page.evaluate(CONTRAST, [".persona:not(.active) .persona-preview"]))
    assert ratios[".persona:not(.active) .persona-preview"] is not None
    low = {selector: ratio for selector, ratio in ratios.items() if ratio < 4.5}
    assert not low, f"below 4.5:1: {low}"


async def test_clock_control_shows_and_moves_the_sandbox_time(
    server: SandboxServer, demo_app: Application, browser: Browser
) -> None:
    page = await open_page(browser, server, "laptop")
    advances = await stub_clock(page)
    await page.reload()
    await expect(page.locator("#clock")).to_be_visible(timeout=WAIT_MS)
    # The server's ISO time, shown in the office's zone as a person reads it.
    await expect(page.locator("#clock-now")).to_have_text("11月30日周一 10:00")
    await expect(page.locator("#clock-next")).to_contain_text("下一截止")
    await page.locator('.clock-button[data-by="1h"]').click()
    await expect(page.locator("#clock-now")).to_have_text("11月30日周一 11:00")
    await expect(page.locator("#toast")).to_contain_text("1h")
    await page.locator('.clock-button[data-by="1wd"]').click()
    await page.locator('.clock-button[data-by="next"]').click()
    await expect(page.locator('.clock-button[data-by="next"]')).to_be_enabled()
    assert advances == [{"by": "1h"}, {"by": "1wd"}, {"by": "next"}]
    await expect(page.locator("#clock-next")).to_contain_text("1h")  # ahead of real time
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "clock-laptop-1280.png"))

    # Nothing left to run out: "past the next deadline" cannot be pressed.
    await page.unroute("**/sandbox/api/clock")
    await page.route(
        "**/sandbox/api/clock", lambda r: r.fulfill(json={**CLOCK, "next_deadline": None})
    )
    await page.reload()
    await expect(page.locator("#clock-next")).to_have_text("没有未到的截止时间")
    await expect(page.locator('.clock-button[data-by="next"]')).to_be_disabled()


async def test_times_are_shown_in_the_zone_the_bot_is_set_to(
    server: SandboxServer, demo_app: Application, browser: Browser
) -> None:
    page = await open_page(browser, server, "laptop")
    await stub_clock(page, {**CLOCK, "local": "2026-11-30T02:00:00+00:00", "zone": "Europe/London"})
    await page.reload()
    await expect(page.locator("#clock-now")).to_have_text("11月30日周一 02:00", timeout=WAIT_MS)
    await start_chat(page, narrow=False)
    shown = await page.locator(".msg.bot time").last.text_content()
    london = datetime.now(ZoneInfo("Europe/London"))
    assert shown in {f"{m:%H:%M}" for m in (london, london - timedelta(minutes=1))}


async def test_clock_control_hidden_without_a_clock_api(
    server: SandboxServer, demo_app: Application, browser: Browser
) -> None:
    page = await open_page(browser, server, "laptop")
    await page.route(
        "**/sandbox/api/clock",
        lambda route: route.fulfill(status=404, json={"ok": False, "error": "Not Found"}),
    )
    await page.reload()
    await expect(page.locator("body[data-ready=true]")).to_be_attached(timeout=WAIT_MS)
    await expect(page.locator(f'.persona[data-user-id="{ALICE}"]')).to_be_visible()
    await expect(page.locator("#clock")).to_be_hidden()
    # A story step that needs the clock says so instead of failing silently.
    await page.locator(".demo-story").nth(1).click()
    for _ in range(3):
        await page.locator("#demo-next").click()
    await page.locator("#demo-do").click()
    await expect(page.locator("#demo-status")).to_have_attribute("data-state", "error")
    await expect(page.locator("#demo-status")).to_contain_text("没有可调的时钟")


@pytest.mark.parametrize(
    ("locale", "title", "do_it"), [("zh-CN", "演示", "帮我做"), ("en-GB", "Demo", "Do it for me")]
)
async def test_demo_panel_speaks_the_visitors_language_and_restarts(
    server: SandboxServer,
    demo_app: Application,
    browser: Browser,
    locale: str,
    title: str,
    do_it: str,
) -> None:
    page = await open_page(browser, server, "laptop", locale=locale)
    resets: list[str] = []

    async def reset(route: Route) -> None:
        resets.append(route.request.method)
        await route.fulfill(json={"ok": True})

    await page.route("**/sandbox/api/reset", reset)
    await expect(page.locator("#demo-title")).to_have_text(title)
    await expect(page.locator("#demo-do")).to_have_text(do_it)
    await expect(page.locator(".demo-story")).to_have_count(2)
    # The switch changes every word of the panel; the choice survives a reload.
    other = "en" if locale.startswith("zh") else "zh"
    await page.locator(f'.demo-lang button[data-lang="{other}"]').click()
    await expect(page.locator("#demo-do")).to_have_text(
        "帮我做" if other == "zh" else "Do it for me"
    )
    await page.locator("#demo-next").click()
    await expect(page.locator("#demo-step")).to_have_attribute("data-step", "1")
    await page.reload()
    await expect(page.locator("#demo-step")).to_have_attribute("data-step", "1")
    await expect(page.locator("#demo-do")).to_have_text(
        "帮我做" if other == "zh" else "Do it for me"
    )
    await page.locator("#demo-restart").click()
    await expect(page.locator("#demo-step")).to_have_attribute("data-step", "0")
    assert resets == ["POST"]
