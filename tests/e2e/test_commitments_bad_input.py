"""Bad input of every kind gets problem+json and writes nothing; retries and If-Match."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from service.app import create_app
from tests.auth_support import admin_headers
from tests.commitments_support import (
    SOURCE,
    assessment,
    commitment,
    commitment_body,
    get,
    party,
    post,
    slug,
)


@pytest.fixture
async def client(aiohttp_client: Any, settings: Any, pg_store: Any) -> Any:
    headers = await admin_headers(settings.database_url)
    return await aiohttp_client(create_app(settings, store=pg_store), headers=headers)


async def version(pg_store: Any, commitment_id: str) -> int:
    return int(await pg_store.stream_version(f"commitment-{commitment_id}"))


async def test_malformed_json_is_400(client: Any) -> None:
    response = await client.post(
        "/v1/parties", data=b'{"id": "x",', headers={"Content-Type": "application/json"}
    )
    problem = await response.json(content_type=None)
    assert response.status == 400 and response.content_type == "application/problem+json"
    assert problem["parameter"] == "body" and "not valid JSON" in problem["detail"]


async def test_body_that_is_not_utf8_is_400(client: Any) -> None:
    response = await client.post(
        "/v1/parties", data=b'{"id": "\xff"}', headers={"Content-Type": "application/json"}
    )
    assert response.status == 400


async def test_wrong_content_type_is_415(client: Any) -> None:
    response = await client.post(
        "/v1/commitments", data="id=x", headers={"Content-Type": "text/plain"}
    )
    problem = await response.json(content_type=None)
    assert response.status == 415 and "application/json" in problem["detail"]


async def test_body_over_the_limit_is_413(
    aiohttp_client: Any, settings: Any, pg_store: Any
) -> None:
    small = settings.model_copy(update={"max_body_bytes": 1024})
    headers = await admin_headers(settings.database_url)
    client = await aiohttp_client(create_app(small, store=pg_store), headers=headers)
    body = {"id": slug("p"), "name": "x" * 2000, "kind": "state"}
    problem = await post(client, "/v1/parties", body, 413)
    assert "1024 bytes" in problem["detail"]
    await get(client, f"/v1/parties/{body['id']}", 404)


async def test_no_body_is_400(client: Any) -> None:
    response = await client.post("/v1/commitments")
    problem = await response.json(content_type=None)
    assert response.status == 400 and problem["parameter"] == "body"


@pytest.mark.parametrize("body", [[1, 2], "text", 3, None])
async def test_a_body_that_is_not_an_object_is_422(client: Any, body: Any) -> None:
    problem = await post(client, "/v1/parties", body, 422)
    assert problem["field"] == "body"


async def test_missing_and_unknown_fields_are_named(client: Any) -> None:
    missing = await post(client, "/v1/parties", {"id": slug("p"), "kind": "state"}, 422)
    assert missing["field"] == "name"
    extra = {"id": slug("p"), "name": "x", "kind": "state", "colour": "red"}
    assert (await post(client, "/v1/parties", extra, 422))["field"] == "colour"
    naive = commitment_body("a", "b", made_at="2020-02-29T10:00:00")
    assert (await post(client, "/v1/commitments", naive, 422))["field"] == "made_at"
    no_source = commitment_body("a", "b", source={"quote": "q"})
    assert (await post(client, "/v1/commitments", no_source, 422))["field"] == "source"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"promisor": "ghost-party"}, "promisor"),
        ({"promisees": ["ghost-party"]}, "promisees.0"),
        ({"agreement": "ghost-agreement"}, "agreement"),
        (
            {"conditions": [{"id": "c1", "text": "t", "commitment": "ghost-c"}]},
            "conditions.0.commitment",
        ),
        ({"due_by": "2020-02-28"}, "due_by"),
    ],
)
async def test_commitment_naming_the_unknown_is_422_and_writes_nothing(
    client: Any, pg_store: Any, change: dict[str, Any], field: str
) -> None:
    body = commitment_body(await party(client), await party(client)) | change
    problem = await post(client, "/v1/commitments", body, 422)
    assert problem["field"] == field
    assert await version(pg_store, body["id"]) == 0


def _evidence_cases(assessor: str, other: str) -> list[tuple[dict[str, Any], str]]:
    dated = {"occurred_at": "2021-01-01", "source": SOURCE}
    return [
        (assessment("ghost-assessor"), "assessor"),
        (assessment(assessor, occurred_at="2020-01-01"), "occurred_at"),
        (assessment(assessor, effective_at="2021-03-01"), "effective_at"),
        ({"type": "condition_met", "condition": "ghost-condition", **dated}, "condition"),
        ({"type": "deadline_changed", "due_by": "2019-12-31", **dated}, "due_by"),
        ({"type": "superseded", "by": "ghost-commitment", **dated}, "by"),
        ({"type": "withdrawn", "occurred_at": "2021-01-01"}, "source"),
        ({"type": "assessment_recorded", "verdict": "kept"}, "assessor"),
        ({"type": "correction_recorded", "corrects": "nope", "reason": "r"}, "corrects"),
        ({"type": "correction_recorded", "corrects": other, "reason": "wrong stream"}, "corrects"),
    ]


async def test_bad_evidence_is_422_naming_the_field_and_writes_nothing(
    client: Any, pg_store: Any
) -> None:
    body = await commitment(client)
    elsewhere = await commitment(client)
    cid = body["id"]
    other_event = (await get(client, f"/v1/commitments/{elsewhere['id']}"))["event_id"]
    for evidence, field in _evidence_cases(body["promisees"][0], other_event):
        problem = await post(client, f"/v1/commitments/{cid}/events", evidence, 422)
        assert problem["field"] == field, (evidence, problem)
    itself = {"type": "superseded", "by": cid, "occurred_at": "2021-01-01", "source": SOURCE}
    assert (await post(client, f"/v1/commitments/{cid}/events", itself, 422))["field"] == "by"
    assert await version(pg_store, cid) == 1


async def test_idempotency_key_retry_returns_the_original_and_appends_nothing(
    client: Any, pg_store: Any
) -> None:
    body = await commitment(client)
    cid, key = body["id"], slug("key")
    url = f"/v1/commitments/{cid}/events"
    evidence = assessment(body["promisees"][0])
    first = await client.post(url, json=evidence, headers={"Idempotency-Key": key})
    again = await client.post(url, json=evidence, headers={"Idempotency-Key": key})
    assert (first.status, again.status) == (201, 201)
    assert await first.json() == await again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await version(pg_store, cid) == 2
    other = await post(
        client, url, evidence | {"verdict": "stalled"}, 409, **{"Idempotency-Key": key}
    )
    assert other["type"].endswith("/event-id-reused") and other["idempotency_key"] == key
    assert await version(pg_store, cid) == 2


async def test_idempotent_creation_and_retry_after_later_events(client: Any, pg_store: Any) -> None:
    """A creation retried (with a new request time) and an evidence retried after a correction."""
    pid, key = slug("p"), slug("key")
    party_body = {"id": pid, "name": "NATO", "kind": "organization"}
    first = await post(client, "/v1/parties", party_body, **{"Idempotency-Key": key})
    assert await post(client, "/v1/parties", party_body, **{"Idempotency-Key": key}) == first
    assert await pg_store.stream_version(f"party-{pid}") == 1
    body = await commitment(client)
    url = f"/v1/commitments/{body['id']}/events"
    evidence = assessment(body["promisees"][0])
    written = await post(client, url, evidence, **{"Idempotency-Key": key})
    fix = {"type": "correction_recorded", "corrects": written["event_id"], "reason": "r"}
    await post(client, url, fix)
    assert await post(client, url, evidence, **{"Idempotency-Key": key}) == written
    assert await version(pg_store, body["id"]) == 3


async def test_bad_idempotency_key_is_400(client: Any) -> None:
    body = {"id": slug("p"), "name": "x", "kind": "state"}
    problem = await post(client, "/v1/parties", body, 400, **{"Idempotency-Key": "has space"})
    assert problem["parameter"] == "Idempotency-Key"


async def test_if_match_guards_the_version(client: Any, pg_store: Any) -> None:
    body = await commitment(client)
    cid = body["id"]
    url = f"/v1/commitments/{cid}/events"
    evidence = assessment(body["promisees"][0])
    written = await client.post(url, json=evidence, headers={"If-Match": '"1"'})
    assert written.status == 201 and written.headers["ETag"] == '"2"'
    stale = await post(client, url, evidence, 412, **{"If-Match": '"1"'})
    assert stale["type"].endswith("/precondition-failed")
    assert (stale["expected_version"], stale["actual_version"]) == (1, 2)
    assert await version(pg_store, cid) == 2
    assert (await post(client, url, evidence, 400, **{"If-Match": "v1"}))["parameter"] == "If-Match"
    assert (await post(client, url, evidence, 201, **{"If-Match": 'W/"2"'}))["version"] == 3


async def test_racing_creations_give_one_201_and_409s(client: Any) -> None:
    body = {"id": slug("p"), "name": "x", "kind": "state"}
    responses = await asyncio.gather(*(client.post("/v1/parties", json=body) for _ in range(6)))
    assert sorted(r.status for r in responses) == [201, 409, 409, 409, 409, 409]


async def test_racing_evidence_without_if_match_all_land(client: Any, pg_store: Any) -> None:
    body = await commitment(client)
    url = f"/v1/commitments/{body['id']}/events"
    evidence = assessment(body["promisees"][0])
    responses = await asyncio.gather(*(client.post(url, json=evidence) for _ in range(8)))
    assert [r.status for r in responses] == [201] * 8
    versions = sorted([(await r.json())["version"] for r in responses])
    assert versions == list(range(2, 10))
    assert await version(pg_store, body["id"]) == 9
