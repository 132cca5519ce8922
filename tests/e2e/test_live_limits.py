"""Live streams are bounded: caps overall and per client, one shared tail instead of a read per
stream, and a client that stops reading is dropped and resumes where it stopped."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from service.api.sse import LIVE
from service.app import create_app
from tests.e2e.test_log_api import read_sse
from tests.support import new_event, unique, wait_for


class CountingStore:
    """The real PostgreSQL store, counting the reads the live streams make of it themselves."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.reads = 0

    async def read_all(self, *args: Any, **kwargs: Any) -> Any:
        self.reads += 1
        return await self._store.read_all(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


async def open_stream(client: Any, after: int, status: int = 200) -> Any:
    response = await client.get(f"/v1/events/live?after={after}")
    assert response.status == status
    return response


async def test_streams_beyond_the_cap_are_503_with_retry_after(
    aiohttp_client: Any, settings: Any, pg_store: Any
) -> None:
    capped = settings.model_copy(update={"sse_max_streams": 2})
    client = await aiohttp_client(create_app(capped, store=pg_store))
    head = await pg_store.head_position()
    first, second = await open_stream(client, head), await open_stream(client, head)
    refused = await open_stream(client, head, status=503)
    assert refused.content_type == "application/problem+json"
    assert refused.headers["Retry-After"]
    assert "live streams" in (await refused.json())["detail"]
    first.close()
    await wait_for(lambda: len(client.app[LIVE].tasks) == 1)
    (await open_stream(client, head)).close()
    second.close()


async def test_one_client_cannot_take_every_stream(
    aiohttp_client: Any, settings: Any, pg_store: Any
) -> None:
    capped = settings.model_copy(update={"sse_max_streams_per_client": 1})
    client = await aiohttp_client(create_app(capped, store=pg_store))
    head = await pg_store.head_position()
    first = await open_stream(client, head)
    refused = await open_stream(client, head, status=503)
    assert "this client" in (await refused.json())["detail"]
    first.close()


async def test_idle_streams_share_one_tail_and_make_no_reads(
    aiohttp_client: Any, settings: Any, pg_store: Any
) -> None:
    counting = CountingStore(pg_store)
    client = await aiohttp_client(create_app(settings, store=counting))  # type: ignore[arg-type]
    counting.reads = 0  # the token cache's start-up read is not a stream's
    head = await pg_store.head_position()
    streams = [await open_stream(client, head) for _ in range(30)]
    stream_id = unique()
    await pg_store.append(stream_id, [new_event(n=i) for i in range(3)], "no_stream")
    for response in streams:
        received = await read_sse(response, 3)
        assert [int(e["id"]) for e in received] == [head + 1, head + 2, head + 3]
        response.close()
    # Thirty streams, woken three times: every event came from the shared tail.
    assert counting.reads == 0


async def test_a_client_that_stops_reading_is_dropped_and_resumes(
    aiohttp_client: Any, settings: Any, pg_store: Any
) -> None:
    quick = settings.model_copy(update={"sse_stall_timeout_seconds": 0.5})
    client = await aiohttp_client(create_app(quick, store=pg_store))
    head = await pg_store.head_position()
    stream_id = unique()
    filler = "x" * 2000
    for chunk in range(10):  # about 2 MB of frames: more than any socket buffer holds
        events = [new_event(n=i, filler=filler) for i in range(100)]
        await pg_store.append(stream_id, events, "any" if chunk else "no_stream")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (client.server.host, client.server.port))
    request = f"GET /v1/events/live?after={head} HTTP/1.1\r\nHost: x\r\n\r\n"
    await asyncio.get_running_loop().sock_sendall(sock, request.encode())
    try:
        await wait_for(lambda: len(client.app[LIVE].tasks) == 1, timeout=10)
        await wait_for(lambda: len(client.app[LIVE].tasks) == 0, timeout=20)
    finally:
        sock.close()
    resumed = await client.get("/v1/events/live", headers={"Last-Event-ID": str(head + 500)})
    [event] = await read_sse(resumed, 1)
    assert int(event["id"]) == head + 501
    resumed.close()
