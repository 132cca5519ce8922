"""A rewritten tree makes the checkpointer refuse to sign: /readyz says so, and the alarm is
logged at CRITICAL again and again, not once."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.ledger_support import LedgerEnv, ledger_env
from tests.support import wait_for

GUARD = "merkle_nodes_refuse_update_delete"


@pytest.fixture
async def env(server_dsn: str, tmp_path: Path) -> AsyncIterator[LedgerEnv]:
    async with ledger_env(server_dsn, tmp_path) as env:
        yield env


async def test_a_rewritten_tree_raises_alarms_in_readyz_and_the_log(
    env: LedgerEnv, aiohttp_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = await aiohttp_client(env.app(alarm_repeat_seconds=0.1))
    await env.append(5)
    await env.wait_for_checkpoint(5)
    ready = await (await client.get("/readyz")).json()
    assert ready["ledger"] == {"status": "ok", "alarms": []}

    async with env.superuser() as conn, conn.transaction():
        await conn.execute(f"ALTER TABLE merkle_nodes DISABLE TRIGGER {GUARD}")
        await conn.execute(
            "UPDATE merkle_nodes SET hash = sha256('x') WHERE level = 0 AND index = 4"
        )
        await conn.execute(f"ALTER TABLE merkle_nodes ENABLE ALWAYS TRIGGER {GUARD}")
    with caplog.at_level(logging.CRITICAL, logger="pledger.ledger.alarms"):
        await env.append(5)  # a checkpoint is due: the checkpointer compares the old root

        async def alarmed() -> bool:
            body = await (await client.get("/readyz")).json()
            return body["ledger"]["status"] == "alarm"

        await wait_for(alarmed, timeout=15)
        response = await client.get("/readyz")
        body = await response.json()
        assert response.status == 200 and body["status"] == "ready"
        names = {alarm["alarm"] for alarm in body["ledger"]["alarms"]}
        assert names == {"fork", "signing_refused"}
        fork = next(a for a in body["ledger"]["alarms"] if a["alarm"] == "fork")
        assert "checkpoint 5" in fork["detail"] and "pledger verify" in fork["detail"]

        def repeated() -> bool:
            lines = [r for r in caplog.records if "ledger alarm fork" in r.getMessage()]
            return len(lines) >= 3 and all(r.levelno == logging.CRITICAL for r in lines)

        await wait_for(repeated, timeout=10)
    scraped = await (await client.get("/metrics")).text()
    assert 'pledger_ledger_alarm{alarm="fork"} 1.0' in scraped
    assert 'pledger_ledger_alarm{alarm="checkpoint_overdue"} 0.0' in scraped
    rows = await env.pool.fetchval("SELECT max(tree_size) FROM checkpoints")
    assert rows == 5  # nothing was signed on top of the rewrite
