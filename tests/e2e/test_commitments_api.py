"""Parties, agreements, commitments, evidence, status and history through the real app."""

from __future__ import annotations

from typing import Any

import pytest

from service.app import create_app
from tests.auth_support import admin_headers
from tests.commitments_support import (
    assessment,
    commitment,
    get,
    party,
    post,
    slug,
)


@pytest.fixture
async def client(aiohttp_client: Any, settings: Any, pg_store: Any) -> Any:
    headers = await admin_headers(settings.database_url)
    return await aiohttp_client(create_app(settings, store=pg_store), headers=headers)


async def test_party_is_created_read_and_listed(client: Any) -> None:
    party_id = slug("p")
    body = {"id": party_id, "name": "Taliban", "kind": "armed_group"}
    response = await client.post("/v1/parties", json=body)
    written = await response.json()
    assert response.status == 201
    assert response.headers["Location"] == f"/v1/parties/{party_id}"
    assert written["id"] == party_id and written["version"] == 1 and written["position"] > 0
    assert written["stream_id"] == f"party-{party_id}" and len(written["event_id"]) == 36
    one = await get(client, f"/v1/parties/{party_id}")
    assert (one["id"], one["name"], one["kind"]) == (party_id, "Taliban", "armed_group")
    assert one["position"] == written["position"]
    listed = await get(client, "/v1/parties", after=str(written["position"] - 1), limit="1")
    assert [p["id"] for p in listed["parties"]] == [party_id]


async def test_party_unhappy_paths(client: Any) -> None:
    await get(client, f"/v1/parties/{slug('nobody')}", 404)
    party_id = await party(client)
    taken = await post(client, "/v1/parties", {"id": party_id, "name": "x", "kind": "state"}, 409)
    assert taken["type"].endswith("/already-exists")
    bad = await post(client, "/v1/parties", {"id": "Not A Slug", "name": "x", "kind": "state"}, 422)
    assert bad["field"] == "id"
    await get(client, "/v1/parties", 400, limit="0")


async def test_agreement_is_created_read_and_listed(client: Any) -> None:
    us, taliban = await party(client), await party(client)
    agreement_id = slug("doha")
    body = {
        "id": agreement_id,
        "title": "Doha",
        "signed_at": "2020-02-29",
        "parties": [us, taliban],
    }
    written = await post(client, "/v1/agreements", body)
    one = await get(client, f"/v1/agreements/{agreement_id}")
    assert one["parties"] == [us, taliban]
    assert one["signed_at"] == "2020-02-29T00:00:00.000000Z"
    listed = await get(client, "/v1/agreements", after=str(written["position"] - 1))
    assert agreement_id in [a["id"] for a in listed["agreements"]]


async def test_agreement_unhappy_paths(client: Any) -> None:
    await get(client, f"/v1/agreements/{slug('none')}", 404)
    us = await party(client)
    ghost = slug("ghost")
    body = {"id": slug("a"), "title": "Doha", "parties": [us, ghost]}
    problem = await post(client, "/v1/agreements", body, 422)
    assert problem["field"] == "parties.1" and ghost in problem["detail"]
    await get(client, f"/v1/agreements/{body['id']}", 404)  # nothing was written


async def test_commitment_read_has_status_and_etag(client: Any) -> None:
    body = await commitment(client, due_by="2021-05-01")
    response = await client.get(f"/v1/commitments/{body['id']}")
    one = await response.json()
    assert response.status == 200 and response.headers["ETag"] == '"1"'
    assert one["promisor"] == body["promisor"] and one["version"] == 1
    assert one["due_by"] == "2021-05-01T23:59:59.999999Z"
    status = one["status"]
    assert (status["verdict"], status["schedule"]) == ("not_assessed", "overdue")
    assert status["event_count"] == 1 and status["last_position"] == one["position"]


async def test_commitment_unhappy_paths(client: Any) -> None:
    await get(client, f"/v1/commitments/{slug('none')}", 404)
    body = await commitment(client)
    problem = await post(client, "/v1/commitments", body, 409)
    assert problem["kind"] == "commitment" and problem["id"] == body["id"]


async def test_evidence_is_recorded_and_changes_the_status(client: Any) -> None:
    body = await commitment(client, due_by="2021-05-01")
    cid, assessor = body["id"], body["promisees"][0]
    response = await client.post(f"/v1/commitments/{cid}/events", json=assessment(assessor))
    written = await response.json()
    assert response.status == 201, written
    assert written["version"] == 2 and written["type"] == "assessment_recorded"
    assert response.headers["ETag"] == '"2"'
    status = await get(client, f"/v1/commitments/{cid}/status", as_of="2021-03-01")
    assert (status["verdict"], status["schedule"]) == ("in_progress", "not_due")
    assert status["assessments"][0]["event_id"] == written["event_id"]
    assert status["last_position"] == written["position"] and status["event_count"] == 2
    later = await get(client, f"/v1/commitments/{cid}/status", as_of="2021-05-02")
    assert later["schedule"] == "overdue"


async def test_evidence_unhappy_paths(client: Any) -> None:
    await post(client, f"/v1/commitments/{slug('none')}/events", assessment("nato"), 404)
    body = await commitment(client)
    cid = body["id"]
    problem = await post(client, f"/v1/commitments/{cid}/events", {"type": "promised"}, 422)
    assert problem["field"] == "type"
    inexact = assessment(body["promisees"][0]) | {"measure_value": 2**53 + 1}
    problem = await post(client, f"/v1/commitments/{cid}/events", inexact, 422)
    assert problem["field"] == "measure_value" and "2^53" in problem["detail"]


async def test_status_unhappy_paths(client: Any) -> None:
    body = await commitment(client)
    cid = body["id"]
    before = await get(client, f"/v1/commitments/{cid}/status", 404, as_of="2020-02-28")
    assert "does not exist as of 2020-02-28" in before["detail"]
    await get(client, f"/v1/commitments/{cid}/status", 404, known_at="2000-01-01")
    bad = await get(client, f"/v1/commitments/{cid}/status", 400, as_of="yesterday")
    assert bad["parameter"] == "as_of"
    await get(client, f"/v1/commitments/{slug('none')}/status", 404)


async def test_history_marks_corrections_and_hides_nothing(client: Any) -> None:
    body = await commitment(client)
    cid, assessor = body["id"], body["promisees"][0]
    wrong = await post(client, f"/v1/commitments/{cid}/events", assessment(assessor, "breached"))
    fix = {"type": "correction_recorded", "corrects": wrong["event_id"], "reason": "wrong file"}
    correction = await post(client, f"/v1/commitments/{cid}/events", fix)
    history = await get(client, f"/v1/commitments/{cid}/history")
    events = history["events"]
    assert [e["type"] for e in events] == [
        "commitment_made",
        "assessment_recorded",
        "correction_recorded",
    ]
    assert [e["corrected"] for e in events] == [False, True, False]
    assert events[1]["corrected_by"] == correction["event_id"]
    assert events[1]["occurred_at"] == "2021-02-18T00:00:00.000000Z"
    assert events[2]["recorded_at"] >= events[1]["recorded_at"]
    status = await get(client, f"/v1/commitments/{cid}/status")
    assert status["verdict"] == "not_assessed" and status["event_count"] == 3
    # Before the correction was recorded, the assessment stood and was not marked.
    before = events[1]["recorded_at"]
    then = await get(client, f"/v1/commitments/{cid}/history", known_at=before)
    assert [e["corrected"] for e in then["events"]] == [False, False]
    old = await get(client, f"/v1/commitments/{cid}/status", known_at=before)
    assert old["verdict"] == "breached"


async def test_history_unhappy_paths(client: Any) -> None:
    await get(client, f"/v1/commitments/{slug('none')}/history", 404)
    body = await commitment(client)
    await get(client, f"/v1/commitments/{body['id']}/history", 404, known_at="2001-01-01")
    bad = await get(client, f"/v1/commitments/{body['id']}/history", 400, known_at="01/02/2021")
    assert bad["parameter"] == "known_at"


async def test_linked_condition_reports_the_other_commitments_verdict(client: Any) -> None:
    other = await commitment(client)
    await post(
        client,
        f"/v1/commitments/{other['id']}/events",
        assessment(other["promisees"][0], "breached", occurred_at="2020-05-27"),
    )
    condition = {"id": "counter-terrorism", "text": "keep guarantees", "commitment": other["id"]}
    body = await commitment(client, conditions=[condition])
    status = await get(client, f"/v1/commitments/{body['id']}/status", as_of="2021-01-01")
    assert status["verdict"] == "pending_condition"
    view = status["conditions"][0]
    assert (view["state"], view["commitment_verdict"]) == ("pending", "breached")
    early = await get(client, f"/v1/commitments/{body['id']}/status", as_of="2020-03-01")
    assert early["conditions"][0]["commitment_verdict"] == "not_assessed"


async def test_as_of_lists_include_commitments_the_projector_has_not_seen(client: Any) -> None:
    """No projector runs here: the read tables' candidates are completed from the log."""
    body = await commitment(client)
    promisor = body["promisor"]
    listed = await get(client, "/v1/commitments", promisor=promisor, as_of="2021-03-01")
    assert [(c["id"], c["verdict"]) for c in listed["commitments"]] == [
        (body["id"], "not_assessed")
    ]
    tally = await get(client, f"/v1/parties/{promisor}/compliance", known_at="2099-01-01")
    assert tally["total"] == 1 and tally["commitments"][0]["id"] == body["id"]


async def test_lists_ignore_creation_types_written_outside_their_streams(client, pg_store) -> None:
    # The store is generic: a foreign writer may use a domain type name in its own stream.
    from tests.support import new_event, unique

    foreign = new_event("commitment_made", text="not ours")
    await pg_store.append(unique("elsewhere"), [foreign], "any")
    await pg_store.append(unique("elsewhere"), [new_event("party_registered", id=7)], "any")
    for url in ("/v1/commitments?as_of=2030-01-01", "/v1/parties?limit=1000"):
        resp = await client.get(url)
        assert resp.status == 200, await resp.text()
