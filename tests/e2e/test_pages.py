"""The HTML pages over the imported Doha example, without a browser: status codes, the error
pages, the security headers, and that a page shows the verdicts the JSON API answers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from service.app import create_app
from service.auth.registry import MemoryRegistry
from service.commitments.importer import import_items, read_scenario
from service.store.memory import MemoryStore
from service.web.pages import Times
from service.web.render import environment
from tests.auth_support import admin_client, admin_headers
from tests.commitments_support import assessment, commitment, get, post

SCENARIO = Path(__file__).parents[2] / "examples" / "nato-afghanistan-2021.json"
VERDICT = re.compile(r'<p class="verdict" data-verdict="([a-z_]+)">')
ROWS = re.compile(r'href="/commitments/([a-z0-9-]+)[^"]*">.*?data-verdict="([a-z_]+)"', re.S)


@pytest.fixture(scope="module")
async def doha() -> MemoryStore:
    store = MemoryStore()
    await import_items(store, read_scenario(SCENARIO))
    return store


@pytest.fixture
async def client(aiohttp_client: Any, settings: Any, doha: MemoryStore) -> Any:
    return await aiohttp_client(create_app(settings, store=doha))


async def page(client: Any, url: str, status: int = 200) -> str:
    response = await client.get(url)
    text = await response.text()
    assert response.status == status, text
    assert response.content_type == "text/html"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "<script>" not in text and " style=" not in text  # nothing inline the CSP would block
    return text


@pytest.mark.parametrize(
    "url", ["/", "/commitments/allied-withdrawal", "/parties/united-states", "/ledger"]
)
async def test_every_page_renders(client: Any, url: str) -> None:
    text = await page(client, url)
    assert text.startswith("<!doctype html>") and '<main id="main">' in text


@pytest.mark.parametrize("as_of", ["2021-02-01", "2021-05-02", "2021-09-01"])
async def test_the_timeline_shows_the_verdict_the_api_answers(client: Any, as_of: str) -> None:
    status = await get(client, "/v1/commitments/allied-withdrawal/status", as_of=as_of)
    text = await page(client, f"/commitments/allied-withdrawal?as_of={as_of}")
    assert VERDICT.findall(text) == [status["verdict"]]
    assert f'value="{as_of}"' in text  # the date control shows the view's date


async def test_the_overview_lists_each_commitment_with_its_api_verdict(client: Any) -> None:
    listed = await get(client, "/v1/commitments", as_of="2021-06-01")
    text = await page(client, "/?as_of=2021-06-01")
    shown = dict(ROWS.findall(text))
    assert shown == {c["id"]: c["verdict"] for c in listed["commitments"]}


async def test_filters_narrow_the_overview(client: Any) -> None:
    listed = await get(client, "/v1/commitments", promisor="taliban", verdict="breached")
    text = await page(client, "/?party=taliban&verdict=breached")
    shown = dict(ROWS.findall(text))
    assert set(shown) == {c["id"] for c in listed["commitments"]}
    assert set(shown.values()) == {"breached"}


async def test_a_party_page_shows_its_kept_ratio(client: Any) -> None:
    tally = await get(client, "/v1/parties/united-states/compliance", as_of="2021-09-01")
    text = await page(client, "/parties/united-states?as_of=2021-09-01")
    ratio = tally["kept_ratio"]
    assert f'<strong class="ratio">{ratio:.0%}</strong>' in text
    assert "Assessments it made of others" in text


@pytest.mark.parametrize("url", ["/commitments/no-such-thing", "/parties/no-such-party"])
async def test_unknown_ids_are_a_404_page(client: Any, url: str) -> None:
    text = await page(client, url, 404)
    assert "no-such" in text and "<h1>Not found</h1>" in text


@pytest.mark.parametrize(
    "url",
    [
        "/commitments/allied-withdrawal?as_of=yesterday",
        "/commitments/allied-withdrawal?known_at=2021-13-40",
        "/?verdict=great",
        "/parties/taliban?as_of=2021-05-01T00:00",
    ],
)
async def test_bad_times_and_filters_are_a_400_page(client: Any, url: str) -> None:
    text = await page(client, url, 400)
    assert "<h1>Bad request</h1>" in text


async def test_known_at_hides_what_the_ledger_learned_later(client: Any) -> None:
    text = await page(client, "/commitments/allied-withdrawal?known_at=2001-01-01", 404)
    assert "<h1>Not found</h1>" in text


async def test_static_files_are_served(client: Any) -> None:
    for name in ("pledger.css", "timeline.js", "favicon.svg"):
        response = await client.get(f"/static/{name}")
        assert response.status == 200, name


async def test_a_corrected_event_is_struck_through_beside_its_correction(
    aiohttp_client: Any, settings: Any
) -> None:
    registry = MemoryRegistry()
    app = create_app(settings, store=MemoryStore(), registry=registry)
    client = await aiohttp_client(app, headers=await admin_headers(registry))
    body = await commitment(client, due_by="2021-05-01")
    url = f"/v1/commitments/{body['id']}/events"
    wrong = await post(client, url, assessment(body["promisees"][0], "breached"))
    fix = {"type": "correction_recorded", "corrects": wrong["event_id"], "reason": "wrong file"}
    fixed = await post(client, url, fix)
    text = await page(client, f"/commitments/{body['id']}?as_of=2021-03-01")
    struck = (
        rf'<li id="e-{wrong["event_id"]}" class="event is-corrected">.*?<del>.*?breached.*?</del>'
        rf'\s*<p class="corrected-by">Corrected by <a href="#e-{fixed["event_id"]}">wrong file</a>'
    )
    assert re.search(struck, text, re.S)
    assert VERDICT.findall(text) == ["not_assessed"]  # the correction took the breach away


def test_rules_v2_fields_show_when_the_status_has_them() -> None:
    """Basis, requests, requested due date, closure and per-assessment facts, when present."""
    panel = environment().get_template("timeline.html").module.status_panel  # type: ignore[attr-defined]
    status = {
        "verdict": "superseded",
        "disputed": False,
        "schedule": "closed",
        "due_by": "2021-05-01T23:59:59.999999Z",
        "requested_due_by": "2021-09-11T23:59:59.999999Z",
        "basis": "assessed",
        "closure": {"type": "superseded", "event_id": "e-9", "at": "2021-07-08T00:00:00Z"},
        "requests": [{"event_id": "e-7", "type": "deadline_changed", "recorded_by": "us"}],
        "decided_by": "e-9",
        "event_count": 9,
        "conditions": [],
        "assessments": [
            {
                "assessor": "us",
                "verdict": "fulfilled",
                "strength": "claimed",
                "stated_strength": "verified",
                "self_assessment": True,
                "recorded_by": "us",
                "event_id": "e-8",
                "effective_at": "2021-08-30T00:00:00Z",
            }
        ],
    }
    times = Times(datetime(2021, 9, 1, tzinfo=UTC), datetime(2021, 9, 1, tzinfo=UTC), {})
    html = " ".join(str(panel(status, {"us": {"name": "United States"}}, times)).split())
    assert "<dt>Requested due date</dt><dd>11 Sep 2021</dd>" in html
    assert "<dt>Basis</dt><dd>assessed</dd>" in html
    assert "superseded on 8 Jul 2021" in html
    assert "deadline changed</a> by United States" in html
    assert "own word" in html and "stated verified" in html


async def test_a_long_timeline_lists_a_window_of_events_up_to_as_of(
    aiohttp_client: Any, settings: Any
) -> None:
    client = await admin_client(aiohttp_client, settings, MemoryStore())
    body = await commitment(client)
    url = f"/v1/commitments/{body['id']}/events"
    for day in range(90):  # the making, then 90 assessments, one a day from 1 January 2021
        at = date(2021, 1, 1) + timedelta(days=day)
        await post(client, url, assessment(body["promisees"][0], occurred_at=at.isoformat()))
    text = await page(client, f"/commitments/{body['id']}?as_of=2021-02-15")
    assert "Events 1–60 of 91" in text
    assert re.search(r'href="/commitments/[^"]*as_of=2021-03-01[^"]*">Later events', text)
    text = await page(client, f"/commitments/{body['id']}")
    assert "Events 32–91 of 91" in text and "Earlier events" in text
    assert text.count('class="mark') == 91  # the timeline still draws every event


async def test_a_new_event_shows_at_once(aiohttp_client: Any, settings: Any) -> None:
    """The pages memoise what they draw per known state: a write must change the key."""
    client = await admin_client(aiohttp_client, settings, MemoryStore())
    body = await commitment(client)
    before = await page(client, f"/commitments/{body['id']}")
    assert VERDICT.findall(before) == ["not_assessed"]
    url = f"/v1/commitments/{body['id']}/events"
    await post(client, url, assessment(body["promisees"][0], "fulfilled"))
    status = await get(client, f"/v1/commitments/{body['id']}/status")
    after = await page(client, f"/commitments/{body['id']}")
    assert VERDICT.findall(after) == [status["verdict"]] != ["not_assessed"]
    assert after.count('class="mark') == before.count('class="mark') + 1
