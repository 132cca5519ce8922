"""The ledger's background work survives a database outage and carries on afterwards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from service.app import create_app
from service.config import Settings
from service.ledger.background import ledger_background
from service.ledger.checkpoint import open_checkpoint
from service.ledger.signing import write_key_pair
from service.store.database import create_pool, ensure_database, with_database
from service.store.migrations import migrate
from service.store.postgres import PostgresStore
from tests.embedded_server import Server
from tests.support import new_event, unique, wait_for


async def _append(dsn: str, count: int) -> None:
    pool = await create_pool(dsn, role="pledger_app", min_size=1, max_size=2, timeout=5)
    store = PostgresStore(pool, dsn)
    try:
        await store.append(unique("outage"), [new_event(n=i) for i in range(count)], "no_stream")
    finally:
        await store.close()
        await pool.close()


async def test_tree_and_checkpoints_resume_after_the_database_returns(
    aiohttp_client: Any, private_server: Server, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await ensure_database(private_server.admin, "pledger")
    dsn = with_database(private_server.admin, "pledger")
    await migrate(dsn)
    key = write_key_pair("outage.pledger.test", tmp_path / "signing.key")
    settings = Settings(
        database_url=dsn,
        access_log=False,
        db_timeout_seconds=1.0,
        poll_interval_seconds=0.05,
        signing_key=tmp_path / "signing.key",
        checkpoint_every_events=1,
        checkpoint_every_seconds=0.2,
    )
    client = await aiohttp_client(create_app(settings, background=(ledger_background(settings),)))

    async def signed(size: int) -> bool:
        response = await client.get("/v1/ledger/checkpoint")
        if response.status != 200:
            return False
        note = (await response.json())["checkpoint"]
        return open_checkpoint(note, key.verifier).tree_size >= size

    await _append(dsn, 3)
    await wait_for(lambda: signed(3), timeout=15)

    private_server.stop()

    async def unavailable() -> bool:
        return (await client.get("/v1/ledger/checkpoint")).status == 503

    await wait_for(unavailable, timeout=15)
    # Keep the database down until both loops have met the outage, then bring it back.
    await wait_for(lambda: "tree builder failed" in caplog.text, timeout=15)
    await wait_for(lambda: "checkpointer failed" in caplog.text, timeout=15)
    private_server.start()
    await _append(dsn, 4)
    await wait_for(lambda: signed(7), timeout=30, interval=0.2)
