"""Helpers for the commitments tests: bodies with unique ids, and posting them over HTTP."""

from __future__ import annotations

import json
from typing import Any

from tests.support import unique

SOURCE = {"title": "Seed article", "url": "https://example.org/a"}


def slug(prefix: str) -> str:
    return unique(prefix)


async def post(client: Any, url: str, body: Any, status: int = 201, **headers: str) -> Any:
    headers = {"Content-Type": "application/json", **headers}
    response = await client.post(url, data=json.dumps(body), headers=headers)
    payload = await response.json(content_type=None)
    assert response.status == status, payload
    if status >= 400:
        assert response.content_type == "application/problem+json"
        assert payload["status"] == status and payload["title"] and payload["detail"]
    return payload


async def put(client: Any, url: str, body: Any, status: int = 200, **headers: str) -> Any:
    headers = {"Content-Type": "application/json", **headers}
    response = await client.put(url, data=json.dumps(body), headers=headers)
    payload = await response.json(content_type=None)
    assert response.status == status, payload
    return payload


async def get(client: Any, url: str, status: int = 200, **params: str) -> Any:
    response = await client.get(url, params=params)
    payload = await response.json(content_type=None)
    assert response.status == status, payload
    if status >= 400:
        assert response.content_type == "application/problem+json"
    return payload


async def party(client: Any, prefix: str = "p") -> str:
    party_id = slug(prefix)
    await post(client, "/v1/parties", {"id": party_id, "name": party_id, "kind": "state"})
    return party_id


def commitment_body(promisor: str, promisee: str, **extra: Any) -> dict[str, Any]:
    body = {
        "id": slug("c"),
        "promisor": promisor,
        "promisees": [promisee],
        "text": "Withdraw all troops.",
        "made_at": "2020-02-29",
        "source": SOURCE,
    }
    return body | extra


async def commitment(client: Any, **extra: Any) -> dict[str, Any]:
    """A new commitment between two new parties; the body as posted."""
    body = commitment_body(await party(client, "a"), await party(client, "b"), **extra)
    await post(client, "/v1/commitments", body)
    return body


def assessment(assessor: str, verdict: str = "in_progress", **extra: Any) -> dict[str, Any]:
    body = {
        "type": "assessment_recorded",
        "assessor": assessor,
        "verdict": verdict,
        "strength": "reported",
        "occurred_at": "2021-02-18",
        "source": SOURCE,
    }
    return body | extra
