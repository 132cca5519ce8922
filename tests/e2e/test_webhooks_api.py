"""Webhook subscriptions through the real app: create (secret shown once), list, read, delete,
the delivery log, and bad input answered with a 422 naming the field."""

from __future__ import annotations

from typing import Any

import pytest
from standardwebhooks import Webhook

from service.app import create_app
from tests.auth_support import admin_client, principal_of
from tests.commitments_support import get, party, post


@pytest.fixture
async def client(aiohttp_client: Any, settings: Any, pg_store: Any) -> Any:
    return await admin_client(aiohttp_client, settings, pg_store)


async def test_a_subscription_is_created_read_listed_and_deleted(client: Any) -> None:
    body = {"url": "https://example.org/hooks?x=1", "party": "acme", "changes": ["verdict"]}
    response = await client.post("/v1/webhooks", json=body)
    created = await response.json()
    assert response.status == 201
    assert response.headers["Location"] == f"/v1/webhooks/{created['id']}"
    assert created["secret"].startswith("whsec_")
    Webhook(created["secret"])  # a secret the standardwebhooks library accepts
    assert created["filters"] == {"party": "acme", "agreement": None, "commitment": None}
    assert created["changes"] == ["verdict"] and created["state"] == "active"
    one = await get(client, f"/v1/webhooks/{created['id']}")
    assert "secret" not in one and one == {k: v for k, v in created.items() if k != "secret"}
    listed = await get(client, "/v1/webhooks", limit="1000")
    assert created["id"] in [w["id"] for w in listed["webhooks"]]
    log = await get(client, f"/v1/webhooks/{created['id']}/deliveries")
    assert log == {"deliveries": [], "next": None}
    response = await client.delete(f"/v1/webhooks/{created['id']}")
    assert response.status == 204
    await get(client, f"/v1/webhooks/{created['id']}", 404)
    await get(client, f"/v1/webhooks/{created['id']}/deliveries", 404)
    gone = await client.delete(f"/v1/webhooks/{created['id']}")
    assert gone.status == 404


async def test_a_given_secret_is_kept_and_the_list_pages(client: Any) -> None:
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    made = [await post(client, "/v1/webhooks", {"url": "http://127.0.0.1:9/h", "secret": secret})
            for _ in range(3)]  # fmt: skip
    assert {m["secret"] for m in made} == {secret}
    first = await get(client, "/v1/webhooks", limit="1")
    assert len(first["webhooks"]) == 1 and first["next"] == first["webhooks"][0]["id"]
    rest = await get(client, "/v1/webhooks", after=first["next"], limit="1000")
    assert first["next"] not in [w["id"] for w in rest["webhooks"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.org/x"}, "url"),
        ({"url": "example.org/x"}, "url"),
        ({"url": "http://"}, "url"),
        ({"url": "http://example.org:port/"}, "url"),
        ({}, "url"),
        ({"url": "https://example.org", "secret": "not-a-secret"}, "secret"),
        ({"url": "https://example.org", "secret": "whsec_c2hvcnQ="}, "secret"),
        ({"url": "https://example.org", "changes": ["everything"]}, "changes.0"),
        ({"url": "https://example.org", "changes": []}, "changes"),
        ({"url": "https://example.org", "party": "Not A Slug"}, "party"),
        ({"url": "https://example.org", "colour": "red"}, "colour"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(
    client: Any, body: dict[str, Any], field: str
) -> None:
    problem = await post(client, "/v1/webhooks", body, 422)
    assert problem["field"] == field and problem["type"].endswith("/validation-failed")


async def test_unknown_ids_and_bad_cursors(client: Any) -> None:
    await get(client, "/v1/webhooks/not-a-uuid", 404)
    await get(client, "/v1/webhooks/00000000-0000-0000-0000-000000000000", 404)
    problem = await get(client, "/v1/webhooks", 400, after="nope")
    assert problem["parameter"] == "after"


async def test_a_party_manages_only_its_own_and_an_anonymous_caller_none(
    client: Any, aiohttp_client: Any, settings: Any, pg_store: Any
) -> None:
    mine, theirs = await party(client), await party(client)
    me, them = await principal_of(client, mine), await principal_of(client, theirs)
    body = {"url": "https://example.org/hook"}
    made = await (await client.post("/v1/webhooks", json=body, headers=me)).json()
    assert made["owner"] == mine
    listed = await (await client.get("/v1/webhooks", params={"limit": "1000"}, headers=me)).json()
    assert [w["id"] for w in listed["webhooks"]] == [made["id"]]
    for path in (f"/v1/webhooks/{made['id']}", f"/v1/webhooks/{made['id']}/deliveries"):
        assert (await client.get(path, headers=them)).status == 404
        assert (await client.get(path, headers=me)).status == 200
    assert (await client.delete(f"/v1/webhooks/{made['id']}", headers=them)).status == 404
    everyone = await get(client, "/v1/webhooks", limit="1000")  # the administrator sees all
    assert made["id"] in [w["id"] for w in everyone["webhooks"]]
    anonymous = await aiohttp_client(create_app(settings, store=pg_store))
    assert (await anonymous.get("/v1/webhooks")).status == 401
    assert (await anonymous.post("/v1/webhooks", json=body)).status == 401
    assert (await client.delete(f"/v1/webhooks/{made['id']}", headers=me)).status == 204
