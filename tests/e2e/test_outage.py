"""The database goes away and comes back: 503 while it is gone, recovery without a restart."""

from __future__ import annotations

import asyncio

from service.app import create_app
from service.config import Settings
from service.store.database import ensure_database, with_database
from service.store.migrations import migrate
from tests.auth_support import admin_client
from tests.support import unique, wait_for


async def test_database_down_gives_503_then_recovers(aiohttp_client, private_server) -> None:
    await ensure_database(private_server.admin, "pledger")
    dsn = with_database(private_server.admin, "pledger")
    await migrate(dsn)
    settings = Settings(database_url=dsn, access_log=False, db_timeout_seconds=1.0)
    client = await aiohttp_client(create_app(settings))
    assert (await client.get("/v1/events")).status == 200

    private_server.stop()
    resp = await client.get("/v1/events")
    assert resp.status == 503
    assert resp.content_type == "application/problem+json"
    body = await resp.json()
    assert body["type"].endswith("/unavailable")
    assert "Traceback" not in body["detail"]
    assert (await client.get("/readyz")).status == 503
    assert (await client.get("/healthz")).status == 200

    private_server.start()

    async def answers() -> bool:
        return (await client.get("/v1/events")).status == 200

    await wait_for(answers, timeout=20, interval=0.2)
    assert (await client.get("/readyz")).status == 200


async def test_writes_caught_by_an_outage_are_503_and_none_is_lost(
    aiohttp_client, private_server
) -> None:
    """Concurrent writers while the database stops: every answer is 201 or 503 (with
    Retry-After), and every 201 is in the log afterwards."""
    await ensure_database(private_server.admin, "pledger")
    dsn = with_database(private_server.admin, "pledger")
    await migrate(dsn)
    settings = Settings(database_url=dsn, access_log=False, db_timeout_seconds=1.0)
    client = await admin_client(aiohttp_client, settings)
    acknowledged: list[str] = []
    statuses: dict[int, int] = {}
    stop = asyncio.Event()

    async def writer(n: int) -> None:
        while not stop.is_set():
            party_id = unique(f"w{n}")
            body = {"id": party_id, "name": party_id, "kind": "state"}
            response = await client.post("/v1/parties", json=body)
            statuses[response.status] = statuses.get(response.status, 0) + 1
            if response.status == 201:
                acknowledged.append(party_id)
            else:
                assert response.status == 503, await response.text()
                assert response.content_type == "application/problem+json"
                assert response.headers["Retry-After"]

    writers = [asyncio.create_task(writer(n)) for n in range(8)]
    try:
        await wait_for(lambda: len(acknowledged) >= 20 or any(w.done() for w in writers), 20)
        private_server.stop()
        await wait_for(lambda: statuses.get(503, 0) >= 20 or any(w.done() for w in writers), 30)
        private_server.start()
        before = statuses.get(201, 0)
        await wait_for(lambda: statuses.get(201, 0) > before or any(w.done() for w in writers), 30)
    finally:
        stop.set()
        await asyncio.gather(*writers)
    for party_id in acknowledged:
        assert (await client.get(f"/v1/parties/{party_id}")).status == 200
