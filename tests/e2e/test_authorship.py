"""The server stamps who wrote each event; the forged-monitor and self-certification attacks of
issue 8 fail; request ids and idempotency keys cannot be borrowed."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from service.app import create_app
from tests.auth_support import admin_headers, principal_of
from tests.commitments_support import assessment, commitment, get, party, post


@pytest.fixture
async def client(aiohttp_client: Any, settings: Any, pg_store: Any) -> Any:
    headers = await admin_headers(settings.database_url)
    return await aiohttp_client(create_app(settings, store=pg_store), headers=headers)


async def _event(client: Any, stream: str, event_id: str) -> dict[str, Any]:
    events = (await get(client, f"/v1/streams/{stream}"))["events"]
    return next(e for e in events if e["event_id"] == event_id)


async def test_a_forged_monitor_cannot_breach_a_commitment(client: Any) -> None:
    body = await commitment(client)
    monitor, intruder = await party(client, "nato"), await party(client, "x")
    url = f"/v1/commitments/{body['id']}/events"
    forged = assessment(monitor, "breached", strength="verified")
    async with (
        aiohttp.ClientSession() as anonymous,
        anonymous.post(client.make_url(url), json=forged, headers={"X-Actor": monitor}) as sent,
    ):
        assert sent.status == 401
    denied = await post(client, url, forged, 403, **await principal_of(client, intruder))
    assert denied["type"].endswith("/assessor-mismatch") and denied["right"] == "assessor"
    status = await get(client, f"/v1/commitments/{body['id']}/status")
    assert status["verdict"] == "not_assessed"


async def test_the_promisor_cannot_certify_itself_or_erase_a_finding(client: Any) -> None:
    body = await commitment(client)
    promisor = await principal_of(client, body["promisor"])
    monitor = await party(client, "un")
    url = f"/v1/commitments/{body['id']}/events"
    finding = assessment(monitor, "breached", strength="verified")
    breach = await post(client, url, finding, **await principal_of(client, monitor, "verified"))
    own = assessment(body["promisor"], "fulfilled", strength="verified")
    denied = await post(client, url, own, 403, **promisor)
    assert denied["type"].endswith("/strength-not-granted")
    erase = {"type": "correction_recorded", "corrects": breach["event_id"], "reason": "no"}
    denied = await post(client, url, erase, 403, **promisor)
    assert denied["right"] == "recorder"
    made = (await get(client, f"/v1/commitments/{body['id']}"))["event_id"]
    vanish = {"type": "correction_recorded", "corrects": made, "reason": "never made"}
    await post(client, url, vanish, 403, **promisor)
    assert (await get(client, f"/v1/commitments/{body['id']}/status"))["verdict"] == "breached"


async def test_the_server_stamps_the_writer_never_a_header(client: Any) -> None:
    body = await commitment(client)
    monitor = await party(client, "m")
    as_monitor = await principal_of(client, monitor, "reported")
    url = f"/v1/commitments/{body['id']}/events"
    # No assessor given: a party's principal assesses as its own party.
    sent = {k: v for k, v in assessment(monitor).items() if k != "assessor"}
    headers = {"X-Actor": "nato", "X-Request-Id": "req-1.ok_A", **as_monitor}
    written = await post(client, url, sent, **headers)
    event = await _event(client, written["stream_id"], written["event_id"])
    assert event["data"]["assessor"] == monitor
    meta = event["metadata"]
    assert meta["recorded_by"] == monitor and meta["principal"].startswith(monitor[:40])
    assert meta["request_id"] == "req-1.ok_A" and "actor" not in meta and meta["via"] == "api"
    odd = await post(client, url, assessment(monitor), **{**as_monitor, "X-Request-Id": "a b<"})
    event = await _event(client, odd["stream_id"], odd["event_id"])
    assert event["metadata"]["request_id"] != "a b<"
    assert len(event["metadata"]["request_id"]) == 32


async def test_administrator_writes_have_no_party(client: Any) -> None:
    written = await post(client, "/v1/parties", {"id": "adm-" + "x" * 8, "name": "X", "kind": "s"})
    event = await _event(client, written["stream_id"], written["event_id"])
    assert event["metadata"]["recorded_by"] is None
    assert event["metadata"]["principal"].startswith("admin-")


async def test_idempotency_keys_are_scoped_to_the_principal(client: Any) -> None:
    body = await commitment(client)
    monitor = await party(client, "m")
    first = await principal_of(client, monitor, "reported")
    second = await principal_of(client, monitor, "reported")
    url = f"/v1/commitments/{body['id']}/events"
    one = await post(client, url, assessment(monitor), **first, **{"Idempotency-Key": "k-1"})
    again = await post(client, url, assessment(monitor), **first, **{"Idempotency-Key": "k-1"})
    other = await post(client, url, assessment(monitor), **second, **{"Idempotency-Key": "k-1"})
    assert again["event_id"] == one["event_id"] != other["event_id"]


async def test_a_party_shows_its_grant(client: Any) -> None:
    monitor = await party(client, "m")
    assert (await get(client, f"/v1/parties/{monitor}"))["grant"] == "claimed"
    await principal_of(client, monitor, "verified")
    assert (await get(client, f"/v1/parties/{monitor}"))["grant"] == "verified"
    bad = await client.put(f"/v1/parties/{monitor}/grant", json={"max_strength": "total"})
    assert bad.status == 422
    missing = await client.put("/v1/parties/nobody-here/grant", json={"max_strength": "reported"})
    assert missing.status == 404
