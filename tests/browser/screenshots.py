"""Screenshots of the Doha example's pages for the README: `make screenshots` (or
`python -m tests.browser.screenshots DIR`). The app runs in process on the memory store with the
example imported, and Debian's Chromium draws the pages."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from aiohttp.test_utils import TestServer
from playwright.async_api import async_playwright

from service.app import create_app
from service.commitments.importer import import_items, read_scenario
from service.config import Settings
from service.store.memory import MemoryStore
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.site import SCENARIO

# (file, path, viewport width, height): the top of each page, kept small for the README
SHOTS = [
    ("overview.png", "/?as_of=2021-09-01", 1000, 1000),
    ("timeline.png", "/commitments/allied-withdrawal?as_of=2021-05-02", 1000, 1000),
    ("party.png", "/parties/taliban?as_of=2021-09-01", 1000, 900),
    ("phone.png", "/commitments/allied-withdrawal?as_of=2021-05-02", 390, 800),
]


async def shoot(out: Path) -> None:
    store = MemoryStore()
    await import_items(store, read_scenario(SCENARIO))
    app = create_app(Settings(access_log=False), store=store)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name, path, width, height in SHOTS:
                page = await browser.new_page(viewport={"width": width, "height": height})
                await page.goto(str(server.make_url(path)))
                await page.screenshot(path=out / name)
                await page.close()
            await browser.close()
    finally:
        await server.close()


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    target.mkdir(parents=True, exist_ok=True)
    asyncio.run(shoot(target))
