"""The raw-log HTTP API through the real app: one happy and one unhappy path per endpoint."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import pytest

from service.app import create_app
from service.observability.logs import json_handler
from tests.support import new_event, unique


@pytest.fixture
async def client(aiohttp_client, settings, pg_store):
    return await aiohttp_client(create_app(settings, store=pg_store))


def problem_of(body: dict, status: int) -> None:
    assert body["status"] == status
    assert body["type"].startswith("https://pledger.dev/problems/")
    assert body["title"] and body["detail"]


async def test_health_and_readiness(client) -> None:
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert ready.status == 200
    assert (await ready.json())["database"] == "ok"


async def test_read_stream_pages_with_etag_and_link(client, pg_store) -> None:
    stream = unique()
    await pg_store.append(stream, [new_event(n=i) for i in range(5)], "no_stream")
    resp = await client.get(f"/v1/streams/{stream}", params={"limit": "2"})
    assert resp.status == 200
    assert resp.headers["ETag"] == '"5"'
    body = await resp.json()
    assert [e["version"] for e in body["events"]] == [1, 2]
    assert body["next_from_version"] == 3
    assert all(len(e["leaf_hash"]) == 64 for e in body["events"])
    link = resp.headers["Link"]
    assert 'rel="next"' in link
    url = link[link.index("<") + 1 : link.index(">")]
    second = await (await client.get(url)).json()
    assert [e["version"] for e in second["events"]] == [3, 4]
    back = await (await client.get(f"/v1/streams/{stream}?direction=backward&limit=10")).json()
    assert [e["version"] for e in back["events"]] == [5, 4, 3, 2, 1]
    assert back["next_from_version"] is None


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("limit=0", "limit"),
        ("limit=100000", "limit"),
        ("limit=ten", "limit"),
        ("from_version=0", "from_version"),
        ("direction=sideways", "direction"),
    ],
)
async def test_read_stream_bad_parameters_name_the_parameter(client, query, parameter) -> None:
    resp = await client.get(f"/v1/streams/anything?{query}")
    assert resp.status == 400
    assert resp.content_type == "application/problem+json"
    body = await resp.json()
    problem_of(body, 400)
    assert body["parameter"] == parameter


async def test_unknown_stream_is_404_problem(client) -> None:
    resp = await client.get(f"/v1/streams/{unique()}")
    assert resp.status == 404
    assert resp.content_type == "application/problem+json"
    problem_of(await resp.json(), 404)


async def test_global_log_pages_follow_the_cursor(client, pg_store) -> None:
    head = await pg_store.head_position()
    stream = unique()
    await pg_store.append(stream, [new_event(n=i) for i in range(5)], "any")
    resp = await client.get("/v1/events", params={"after": str(head), "limit": "3"})
    body = await resp.json()
    assert [e["position"] for e in body["events"]] == [head + 1, head + 2, head + 3]
    assert body["next"] == head + 3
    assert 'rel="next"' in resp.headers["Link"]
    rest = await (await client.get(f"/v1/events?after={body['next']}&limit=3")).json()
    assert [e["position"] for e in rest["events"]][:2] == [head + 4, head + 5]


async def test_global_log_type_filter(client, pg_store) -> None:
    head = await pg_store.head_position()
    await pg_store.append(unique(), [new_event("x_happened"), new_event("y_happened")], "any")
    body = await (await client.get(f"/v1/events?after={head}&type=y_happened")).json()
    assert [e["type"] for e in body["events"]] == ["y_happened"]


async def test_global_log_bad_cursor(client) -> None:
    resp = await client.get("/v1/events?after=-1")
    assert resp.status == 400
    assert (await resp.json())["parameter"] == "after"


async def test_unknown_route_and_method_are_problems(client) -> None:
    resp = await client.get("/v1/nothing-here")
    assert resp.status == 404
    problem_of(await resp.json(), 404)
    resp = await client.post("/v1/events", data=b"{}")
    assert resp.status == 405
    problem_of(await resp.json(), 405)


async def test_openapi_document_lists_the_routes(client) -> None:
    doc = await (await client.get("/v1/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    assert {"/v1/events", "/v1/streams/{stream_id}", "/v1/events/live"} <= set(doc["paths"])


async def read_sse(resp, count: int) -> list[dict]:
    """Read `count` events from an SSE response, ignoring comments (heartbeats)."""
    events: list[dict] = []
    current: dict = {}
    while len(events) < count:
        line = (await asyncio.wait_for(resp.content.readline(), 10)).decode().rstrip("\n")
        if line == "":
            if "data" in current:
                events.append(current)
            current = {}
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(": ")
            current[field] = value
    return events


async def test_sse_streams_and_resumes_with_last_event_id(client, pg_store) -> None:
    head = await pg_store.head_position()
    stream = unique()
    await pg_store.append(stream, [new_event(n=i) for i in range(3)], "any")
    resp = await client.get(f"/v1/events/live?after={head}")
    assert resp.headers["Content-Type"].startswith("text/event-stream")
    first = await read_sse(resp, 2)
    assert [int(e["id"]) for e in first] == [head + 1, head + 2]
    assert json.loads(first[0]["data"])["stream_id"] == stream
    resp.close()
    # Reconnect as a browser would: same URL, Last-Event-ID says where it stopped.
    await pg_store.append(stream, [new_event(n=3)], "any")
    again = await client.get(
        f"/v1/events/live?after={head}", headers={"Last-Event-ID": str(head + 2)}
    )
    resumed = await read_sse(again, 2)
    assert [int(e["id"]) for e in resumed] == [head + 3, head + 4]
    again.close()


async def test_sse_sends_heartbeats_when_idle(client, pg_store) -> None:
    head = await pg_store.head_position()
    resp = await client.get(f"/v1/events/live?after={head}&type=never_happens")
    lines = [await asyncio.wait_for(resp.content.readline(), 5) for _ in range(4)]
    assert b": keep-alive\n" in lines
    resp.close()


async def test_sse_bad_last_event_id(client) -> None:
    resp = await client.get("/v1/events/live", headers={"Last-Event-ID": "yesterday"})
    assert resp.status == 400
    assert (await resp.json())["parameter"] == "Last-Event-ID"


async def test_shutdown_closes_idle_live_streams(aiohttp_client, settings, pg_store) -> None:
    # A heartbeat far beyond the test's patience: only the shutdown hook can end the stream.
    slow = settings.model_copy(update={"sse_heartbeat_seconds": 300.0})
    client = await aiohttp_client(create_app(slow, store=pg_store))
    head = await pg_store.head_position()
    resp = await client.get(f"/v1/events/live?after={head}")
    assert resp.status == 200
    await asyncio.wait_for(client.server.runner.shutdown(), 5)
    rest = await asyncio.wait_for(resp.content.read(), 5)
    assert b"data:" not in rest


async def test_each_request_logs_one_json_line(aiohttp_client, settings, pg_store) -> None:
    logged = settings.model_copy(update={"access_log": True})
    client = await aiohttp_client(create_app(logged, store=pg_store))
    stream = io.StringIO()
    handler = json_handler(stream)
    access = logging.getLogger("pledger.access")
    level = access.level
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        resp = await client.get("/v1/events?limit=1", headers={"X-Request-Id": "req-42"})
    finally:
        access.removeHandler(handler)
        access.setLevel(level)
    assert resp.headers["X-Request-Id"] == "req-42"
    [line] = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert line["logger"] == "pledger.access" and line["message"] == "GET /v1/events 200"
    assert line["method"] == "GET"
    assert line["path"] == "/v1/events"
    assert line["status"] == 200
    assert line["request_id"] == "req-42"
    assert line["duration_ms"] >= 0


@pytest.mark.parametrize(
    ("query", "headers", "parameter"),
    [
        ("after=99999999999999999999", {}, "after"),
        ("", {"Last-Event-ID": "99999999999999999999"}, "Last-Event-ID"),
    ],
)
async def test_sse_positions_beyond_the_log_range_are_400(
    client, query, headers, parameter
) -> None:
    resp = await client.get(f"/v1/events/live?{query}", headers=headers)
    assert resp.status == 400
    assert (await resp.json())["parameter"] == parameter
