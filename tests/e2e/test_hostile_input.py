"""Hostile input never reaches a 500: explicit classes, then hypothesis over paths, queries,
headers and JSON shapes; every answer is problem+json or a success, and the server keeps going."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.app import create_app
from service.store.bootstrap import open_store
from tests.auth_support import admin_client, admin_headers
from tests.support import unique

PROBLEM = "application/problem+json"


@pytest.fixture
async def client(aiohttp_client: Any, settings: Any, pg_store: Any) -> Any:
    return await admin_client(aiohttp_client, settings, pg_store)


async def answer(client: Any, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    response = await client.request(method, path, **kwargs)
    text = await response.text()
    assert response.status < 500 or response.status == 503, (path, response.status, text[:300])
    if response.status >= 400:
        assert response.content_type == PROBLEM, (path, response.content_type)
        return response.status, json.loads(text)
    return response.status, text


def json_post(body: bytes) -> dict[str, Any]:
    return {"data": body, "headers": {"Content-Type": "application/json"}}


@pytest.mark.parametrize(
    "path",
    [
        "/v1/parties/a%00b",
        "/v1/parties/a%0D%0Ab/compliance",
        "/v1/agreements/a%00b/compliance",
        "/v1/commitments/a%00b/status",
        "/v1/commitments/a%1Bb/history",
        "/v1/streams/party-a%00b",
        "/v1/commitments?promisor=a%00b",
        "/v1/events?type=x%00y",
        "/v1/events?%00=1",
        "/v1/commitments/c/status?as_of=%00",
    ],
)
async def test_control_characters_in_the_url_are_400(client: Any, path: str) -> None:
    status, problem = await answer(client, "GET", path)
    assert status == 400 and "U+00" in problem["detail"]


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/v1/parties?after=99999999999999999999999", "after"),
        ("/v1/agreements?after=9223372036854775808", "after"),
        ("/v1/events?after=%C2%B2", "after"),
        ("/v1/events?after=%D9%A3", "after"),
        ("/v1/events/%C2%B2/proof", "position"),
        ("/v1/events/%D9%A3/proof", "position"),
        ("/v1/ledger/consistency?first=%D9%A3&second=5", "first"),
        ("/v1/streams/party-x?from_version=%EF%BC%91", "from_version"),
    ],
)
async def test_integers_out_of_range_or_not_ascii_are_400(
    client: Any, path: str, parameter: str
) -> None:
    status, problem = await answer(client, "GET", path)
    assert status == 400 and problem["parameter"] == parameter


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"[" * 1000 + b"]" * 1000, "nested deeper than 64"),
        (b'{"id": "p", "name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested deeper"),
        (b'{"id": "p", "name": "x", "n": ' + b"9" * 5000 + b"}", "64-bit integer"),
        (b'{"id": "p", "name": "x", "n": 9223372036854775808}', "64-bit integer"),
        (b'{"id": "p", "name": "x", "n": 1e999}', "float range"),
        (b'{"id": "p", "name": "x", "n": NaN}', "not a JSON number"),
        (b'{"id": "p", "name": "x\\ud800"}', "surrogate"),
    ],
)
async def test_bodies_beyond_the_limits_are_400(client: Any, body: bytes, says: str) -> None:
    for path in ("/v1/parties", "/v1/commitments"):
        status, problem = await answer(client, "POST", path, **json_post(body))
        assert status == 400 and says in problem["detail"]


async def test_error_bodies_are_bounded(client: Any) -> None:
    huge = "x" * 200_000
    body = {"id": unique("p"), "name": "n", "kind": "organisation", huge: 1}
    body |= {f"unknown_{n}": n for n in range(20_000)}
    status, problem = await answer(client, "POST", "/v1/parties", json=body)
    assert status == 422
    assert len(json.dumps(problem)) < 5000 and "more problems" in problem["detail"]
    status, problem = await answer(client, "GET", "/v1/events?type=%00" + "1" * 7000)
    assert status == 400 and len(json.dumps(problem)) < 1000


@pytest.mark.parametrize(
    ("path", "headers"),
    [("/v1/events", {"X-Filler": "a" * 20_000}), ("/v1/events?after=" + "1" * 10_000, {})],
)
async def test_oversized_lines_are_refused_and_the_server_answers(
    client: Any, path: str, headers: dict[str, str]
) -> None:
    # aiohttp's parser refuses these before the application sees them (a plain-text 400).
    response = await client.get(path, headers=headers)
    assert response.status == 400 and "8190 bytes" in await response.text()
    assert (await client.get("/healthz")).status == 200


async def test_every_response_carries_the_security_headers(client: Any) -> None:
    for path in ("/healthz", "/v1/events", "/v1/parties/nobody", "/v1/nowhere"):
        response = await client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Content-Security-Policy" in response.headers
        assert response.headers["Server"] == "pledger"
    missing = await client.get("/v1/parties/nobody")
    assert missing.headers["Cache-Control"] == "no-store"


TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
READ_PATHS = [
    "/v1/parties/{}",
    "/v1/parties/{}/compliance",
    "/v1/agreements/{}",
    "/v1/commitments/{}/status",
    "/v1/commitments/{}/history",
    "/v1/streams/{}",
    "/v1/events/{}/proof",
]
QUERY_NAMES = [
    "after",
    "limit",
    "type",
    "as_of",
    "known_at",
    "promisor",
    "status",
    "wait",
    "min_position",
    "from_version",
    "direction",
    "first",
    "second",
    "tree_size",
]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)
FUZZ = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(template=st.sampled_from(READ_PATHS), segment=TEXT, query=st.lists(
    st.tuples(st.sampled_from(QUERY_NAMES) | TEXT, TEXT), max_size=4))  # fmt: skip
async def test_fuzzed_reads_never_fail_with_500(
    client: Any, template: str, segment: str, query: list[tuple[str, str]]
) -> None:
    await answer(client, "GET", template.format(segment.replace("/", "")), params=query)


@FUZZ
@given(path=st.sampled_from(["/v1/parties", "/v1/agreements", "/v1/commitments"]), body=JSON)
async def test_fuzzed_json_bodies_never_fail_with_500(client: Any, path: str, body: Any) -> None:
    await answer(client, "POST", path, **json_post(json.dumps(body).encode()))


@FUZZ
@given(body=st.binary(max_size=200), content_type=st.sampled_from(["application/json", "x/y"]))
async def test_fuzzed_raw_bodies_never_fail_with_500(
    client: Any, body: bytes, content_type: str
) -> None:
    await answer(
        client, "POST", "/v1/commitments", data=body, headers={"Content-Type": content_type}
    )
    assert (await client.get("/healthz")).status == 200


async def raw_exchange(client: Any, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(200), 10)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


@FUZZ
@given(
    line=st.binary(max_size=60),
    headers=st.binary(max_size=200),
    body=st.binary(max_size=100),
)
async def test_fuzzed_raw_requests_never_fail_with_500(
    client: Any, line: bytes, headers: bytes, body: bytes
) -> None:
    """Raw bytes on the socket: whatever the parser makes of them, never a 5xx."""
    request = b"POST /v1/" + line + b" HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n\r\n" + body
    head = await raw_exchange(client, request)
    if head.startswith(b"HTTP/1."):
        assert not head[9:12].startswith(b"5"), head
    assert (await client.get("/healthz")).status == 200


async def test_a_body_that_does_not_arrive_in_time_is_408(
    aiohttp_client: Any, settings: Any, pg_store: Any
) -> None:
    quick = settings.model_copy(update={"body_timeout_seconds": 0.3})
    client = await admin_client(aiohttp_client, quick, pg_store)
    token = client.session.headers["Authorization"].encode()
    head = await raw_exchange(
        client,
        b"POST /v1/parties HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: " + token + b"\r\n"
        b"Content-Length: 1000000\r\n\r\n{",
    )
    assert head.startswith(b"HTTP/1.1 408"), head
    assert b"application/problem+json" in head


async def test_a_client_past_its_rate_gets_429_with_retry_after(
    aiohttp_client: Any, settings: Any, pg_store: Any
) -> None:
    tight = settings.model_copy(update={"rate_limit_per_second": 0.5, "rate_limit_burst": 3})
    client = await aiohttp_client(create_app(tight, store=pg_store))
    answers = [await client.get("/v1/events?limit=1") for _ in range(4)]
    assert [r.status for r in answers] == [200, 200, 200, 429]
    assert [r.headers["RateLimit-Remaining"] for r in answers] == ["2", "1", "0", "0"]
    refused = answers[-1]
    assert refused.content_type == PROBLEM and int(refused.headers["Retry-After"]) >= 1
    assert "requests a second" in (await refused.json())["detail"]
    assert (await client.get("/healthz")).status == 200  # probes are never limited


async def test_the_rate_limit_counts_each_principal_apart_from_its_address(
    aiohttp_client: Any, settings: Any, pg_store: Any
) -> None:
    """Two principals behind one address each get their own bucket; a bad token does not."""
    tight = settings.model_copy(update={"rate_limit_per_second": 0.5, "rate_limit_burst": 2})
    # Made before the app starts, so its cache holds both tokens from the first request on (a
    # token made later is usable once the NOTIFY reload reaches the cache, a moment after).
    other = await admin_headers(settings.database_url)
    client = await admin_client(aiohttp_client, tight, pg_store)
    mine = [await client.get("/v1/events?limit=1") for _ in range(3)]
    theirs = [await client.get("/v1/events?limit=1", headers=other) for _ in range(2)]
    assert [r.status for r in mine] == [200, 200, 429]
    assert [r.status for r in theirs] == [200, 200]


async def test_a_statement_past_the_timeout_is_503(aiohttp_client: Any, settings: Any) -> None:
    """A read stuck behind a lock is bounded by the statement timeout: 503, not a hang."""
    quick = settings.model_copy(update={"statement_timeout_seconds": 0.5})
    async with open_store(quick) as store:
        client = await aiohttp_client(create_app(quick, store=store))
        blocker = await asyncpg.connect(settings.database_url)
        try:
            async with blocker.transaction():
                await blocker.execute("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")
                status, problem = await answer(client, "GET", "/v1/events?limit=1")
            assert status == 503 and problem["type"].endswith("/unavailable")
        finally:
            await blocker.close()
        assert (await client.get("/v1/events?limit=1")).status == 200


async def test_a_wild_request_id_is_replaced_not_echoed(client: Any) -> None:
    tame = await client.get("/healthz", headers={"X-Request-Id": "req-42"})
    assert tame.headers["X-Request-Id"] == "req-42"
    wild = await client.get("/healthz", headers={"X-Request-Id": "x" * 5000})
    assert len(wild.headers["X-Request-Id"]) == 32
