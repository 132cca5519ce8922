"""CORS: off by default; with PLEDGER_CORS_ORIGINS, preflights and exposed headers."""

from __future__ import annotations

from typing import Any

from service.app import create_app
from service.auth.registry import MemoryRegistry
from service.config import Settings
from service.store.memory import MemoryStore
from tests.auth_support import admin_headers

ORIGIN = "https://dashboard.example"
PREFLIGHT = {
    "Origin": ORIGIN,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type, if-match, idempotency-key",
}


async def _client(aiohttp_client: Any, origins: str) -> Any:
    settings = Settings(access_log=False, cors_origins=origins)
    registry = MemoryRegistry()
    app = create_app(settings, store=MemoryStore(), registry=registry)
    return await aiohttp_client(app, headers=await admin_headers(registry))


async def test_off_by_default(aiohttp_client: Any) -> None:
    client = await aiohttp_client(create_app(Settings(access_log=False), store=MemoryStore()))
    preflight = await client.options("/v1/commitments", headers=PREFLIGHT)
    assert preflight.status == 405
    response = await client.get("/v1/events", headers={"Origin": ORIGIN})
    assert response.status == 200 and "Access-Control-Allow-Origin" not in response.headers


async def test_a_listed_origin_gets_its_preflight_answered(aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client, f"{ORIGIN}, https://other.example")
    preflight = await client.options("/v1/commitments/c-1/events", headers=PREFLIGHT)
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    allowed = {
        h.strip().lower() for h in preflight.headers["Access-Control-Allow-Headers"].split(",")
    }
    assert {"content-type", "if-match", "if-none-match", "idempotency-key"} <= allowed
    assert "Origin" in preflight.headers["Vary"]


async def test_answers_expose_the_headers_a_client_needs(aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client, ORIGIN)
    body = {"id": "cors-party", "name": "Cors", "kind": "state"}
    response = await client.post("/v1/parties", json=body, headers={"Origin": ORIGIN})
    assert response.status == 201
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"ETag", "Location", "Link", "Idempotent-Replayed", "X-Request-Id"} <= exposed
    problem = await client.get("/v1/parties/nobody", headers={"Origin": ORIGIN})
    assert problem.status == 404 and problem.headers["Access-Control-Allow-Origin"] == ORIGIN


async def test_an_unlisted_origin_gets_nothing(aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client, ORIGIN)
    evil = {**PREFLIGHT, "Origin": "https://evil.example"}
    assert (await client.options("/v1/commitments", headers=evil)).status == 405
    response = await client.get("/v1/events", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_the_live_stream_carries_the_headers(aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client, "*")
    stream = await client.get("/v1/events/live", headers={"Origin": ORIGIN})
    try:
        assert stream.status == 200 and stream.headers["Access-Control-Allow-Origin"] == ORIGIN
    finally:
        stream.close()
