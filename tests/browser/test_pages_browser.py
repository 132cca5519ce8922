"""The pages in a real browser over the imported Doha example: each page opens clean, the as_of
slider moves the verdict as the API says it should, links lead from a scorecard to a timeline,
and the page works without JavaScript, from the keyboard and on a phone's width."""

from __future__ import annotations

from typing import Any

import aiohttp
from playwright.async_api import Browser, Page

from tests.browser.conftest import Watched
from tests.browser.site import Site
from tests.support import wait_for

WITHDRAWAL = "/commitments/allied-withdrawal"


async def api(site: Site, path: str, **params: str) -> Any:
    async with aiohttp.ClientSession() as http, http.get(site.url + path, params=params) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def shown_status(page: Page) -> tuple[str, bool]:
    verdict = await page.locator("#status p.verdict").get_attribute("data-verdict")
    disputed = await page.locator("#status p.verdict .badge.disputed").count()
    assert verdict is not None
    return verdict, disputed == 1


async def test_each_page_opens_without_a_problem(site: Site, watched: Watched) -> None:
    for path, heading in [
        ("/", "Agreements and parties"),
        (WITHDRAWAL, "Withdraw all military forces"),
        ("/parties/united-states", "United States of America"),
        ("/ledger", "The verifiable ledger"),
    ]:
        response = await watched.page.goto(site.url + path)
        assert response is not None and response.status == 200
        assert heading in await watched.page.locator("h1").inner_text()


async def test_the_slider_moves_the_verdict_as_the_api_answers(
    site: Site, watched: Watched
) -> None:
    page = watched.page
    await page.goto(f"{site.url}{WITHDRAWAL}?as_of=2021-04-30")
    slider = page.locator("#as_of_slider")
    assert await slider.is_visible()  # the script revealed it
    dates = (await slider.get_attribute("data-dates") or "").split()
    assert "2021-05-01" in dates
    seen = set()
    for index, day in enumerate(dates):
        async with page.expect_navigation():
            await slider.fill(str(index))
        assert f"as_of={day}" in page.url
        status = await api(site, "/v1/commitments/allied-withdrawal/status", as_of=day)
        assert await shown_status(page) == (status["verdict"], status["disputed"]), day
        seen.add((status["verdict"], status["disputed"]))
    assert len(seen) > 1  # the sweep crossed a change (2 May 2021 among them)


async def test_a_scorecard_leads_to_a_timeline(site: Site, watched: Watched) -> None:
    page = watched.page
    await page.goto(site.url + "/?as_of=2021-05-02")
    card = page.locator(".card", has_text="United States of America")
    tally = await api(site, "/v1/parties/united-states/compliance", as_of="2021-05-02")
    await card.get_by_role("link", name="United States of America").click()
    await page.wait_for_url("**/parties/united-states?as_of=2021-05-02")
    shown = await page.locator("p strong.ratio").inner_text()
    assert shown == ("—" if tally["kept_ratio"] is None else f"{tally['kept_ratio']:.0%}")
    await page.get_by_role("link", name="Withdraw all military forces").first.click()
    await page.wait_for_url(f"**{WITHDRAWAL}?as_of=2021-05-02")
    status = await api(site, "/v1/commitments/allied-withdrawal/status", as_of="2021-05-02")
    assert await shown_status(page) == (status["verdict"], status["disputed"])


async def test_the_date_form_works_without_javascript(site: Site, browser: Browser) -> None:
    context = await browser.new_context(java_script_enabled=False)
    try:
        page = await context.new_page()
        await page.goto(site.url + WITHDRAWAL)
        assert not await page.locator("#as_of_slider").is_visible()
        await page.locator("#as_of").fill("2021-04-01")
        await page.get_by_role("button", name="Show").click()
        await page.wait_for_url("**as_of=2021-04-01**")
        status = await api(site, "/v1/commitments/allied-withdrawal/status", as_of="2021-04-01")
        assert await shown_status(page) == (status["verdict"], status["disputed"])
    finally:
        await context.close()


async def test_the_slider_is_reachable_from_the_keyboard(site: Site, watched: Watched) -> None:
    page = watched.page
    await page.goto(site.url + WITHDRAWAL)
    for _ in range(40):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.id") == "as_of_slider":
            break
    else:
        raise AssertionError("Tab never reached the as_of slider")
    before = await slider_value(page)
    async with page.expect_navigation():
        await page.keyboard.press("ArrowLeft")
    assert await slider_value(page) == before - 1


async def slider_value(page: Page) -> int:
    return int(await page.locator("#as_of_slider").input_value())


async def test_pages_fit_a_phone(site: Site, browser: Browser) -> None:
    context = await browser.new_context(viewport={"width": 375, "height": 740})
    try:
        page = await context.new_page()
        for path in ("/", WITHDRAWAL, "/parties/taliban", "/ledger"):
            await page.goto(site.url + path)
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{path} is {width}px wide on a 375px screen"
    finally:
        await context.close()


async def test_unknown_commitment_is_a_404_page(site: Site, watched: Watched) -> None:
    watched.expected_statuses.add(404)
    response = await watched.page.goto(site.url + "/commitments/no-such-commitment")
    assert response is not None and response.status == 404
    assert await watched.page.locator("h1").inner_text() == "Not found"


async def test_the_ledger_page_shows_the_signed_checkpoint(site: Site, watched: Watched) -> None:
    head = await api(site, "/v1/events", after="0", limit="1000")
    size = len(head["events"])

    async def signed() -> bool:
        async with (
            aiohttp.ClientSession() as http,
            http.get(site.url + "/v1/ledger/checkpoint") as r,
        ):
            return r.status == 200 and (await r.json())["tree_size"] >= size

    await wait_for(signed, timeout=30, interval=0.2)
    key = await api(site, "/v1/ledger/key")
    await watched.page.goto(site.url + "/ledger")
    text = await watched.page.locator("main").inner_text()
    assert f"{size} events" in text and key["verifier_key"] in text
