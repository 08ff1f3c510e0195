"""Opening the sandbox's web page in Debian's Chromium, the same way for every browser test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from playwright.async_api import Page, ViewportSize, async_playwright

from tests.sandbox.test_browser import CHROMIUM, CHROMIUM_ARGS

DESKTOP: ViewportSize = {"width": 1280, "height": 820}
PHONE: ViewportSize = {"width": 390, "height": 844}


@asynccontextmanager
async def open_page(url: str, *, viewport: ViewportSize, locale: str | None) -> AsyncIterator[Page]:
    """A page at ``url`` in a fresh Chromium, closed with the browser on leaving."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            context = await browser.new_context(viewport=viewport, locale=locale)
            page = await context.new_page()
            await page.goto(url)
            yield page
        finally:
            await browser.close()


async def open_beside(page: Page, url: str, *, viewport: ViewportSize) -> Page:
    """A second page at ``url`` in the browser of ``page``, with the browser's own locale."""
    browser = page.context.browser
    assert browser is not None  # open_page's pages always belong to a launched browser
    other = await browser.new_page(viewport=viewport)
    await other.goto(url)
    return other
