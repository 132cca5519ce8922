"""The database goes away and comes back: 503 while it is gone, recovery without a restart."""

from __future__ import annotations

from service.app import create_app
from service.config import Settings
from service.store.database import ensure_database, with_database
from service.store.migrations import migrate
from tests.support import wait_for


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
