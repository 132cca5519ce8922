"""Fault drill: `kill -9` of the only server under concurrent writes whose clients retry with
their Idempotency-Key. Every acknowledged write is in the log exactly once, the log is
gapless, and `pledger verify` finds nothing once the restarted server has caught up."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import aiohttp
import asyncpg

from tests.auth_support import admin_headers
from tests.conftest import drop_database, fresh_database
from tests.serve_support import Serve, positions
from tests.support import unique, wait_for


class Writers:
    """Clients registering parties; a write cut off (refused, reset, 5xx) is sent again with
    the same Idempotency-Key until the server acknowledges it."""

    def __init__(self, session: aiohttp.ClientSession, server: Serve) -> None:
        self.session, self.server = session, server
        self.acknowledged: list[str] = []
        self.retries = 0
        self.stop = asyncio.Event()

    async def run(self, count: int) -> None:
        await asyncio.gather(*(self._writer(n) for n in range(count)))

    async def _writer(self, n: int) -> None:
        while not self.stop.is_set():
            party = unique(f"k{n}")
            await self._until_acknowledged(party)
            self.acknowledged.append(party)

    async def _until_acknowledged(self, party: str) -> None:
        body = {"id": party, "name": party, "kind": "state"}
        for _ in range(600):  # bounded: about a minute of retries
            try:
                async with self.session.post(
                    f"{self.server.url}/v1/parties", json=body, headers={"Idempotency-Key": party}
                ) as resp:
                    if resp.status in (200, 201):
                        return
                    assert resp.status == 503, await resp.text()
            except (aiohttp.ClientError, OSError):
                pass  # the server is down or went down mid-request: send it again
            self.retries += 1
            await asyncio.sleep(0.1)  # a client's back-off between retries
        raise AssertionError(f"{party} was never acknowledged")


async def test_kill_9_under_writes_loses_and_doubles_nothing(server_dsn: str) -> None:
    dsn = await fresh_database(server_dsn, "pledger_kill")
    server = Serve("pledger-kill", dsn, {"PLEDGER_ACCESS_LOG": "false"})
    conn = await asyncpg.connect(dsn)
    try:
        admin = await admin_headers(dsn)  # loaded by the server at start-up
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout, headers=admin) as session:
            await server.start(session)
            writers = Writers(session, server)
            load = asyncio.create_task(writers.run(6))
            try:
                await wait_for(lambda: len(writers.acknowledged) >= 40 or load.done(), 60)
                await server.kill()
                await server.start(session)
                before = len(writers.acknowledged)
                await wait_for(lambda: len(writers.acknowledged) >= before + 40 or load.done(), 60)
            finally:
                writers.stop.set()
                await load
        assert writers.retries > 0  # the kill did cut writes off
        await _check_log(conn, writers.acknowledged)
        head = (await positions(conn))["head"]
        await wait_for(lambda: _tree_at(conn, head), timeout=60, interval=0.2)
        status, out = await _verify(dsn)
        assert status == 0 and "0 finding(s)" in out, out
    finally:
        await server.stop()
        await conn.close()
        await drop_database(server_dsn, dsn)


async def _check_log(conn: asyncpg.Connection, acknowledged: list[str]) -> None:
    rows = await conn.fetch(
        "SELECT stream_id, count(*) AS n FROM events WHERE stream_id = ANY($1::text[])"
        " GROUP BY stream_id",
        [f"party-{p}" for p in acknowledged],
    )
    assert len(rows) == len(acknowledged) and all(r["n"] == 1 for r in rows)
    count, head = await conn.fetchrow("SELECT count(*), coalesce(max(position), 0) FROM events")
    assert count == head  # gapless: positions 1..head, each once


async def _tree_at(conn: asyncpg.Connection, head: int) -> bool:
    return bool((await positions(conn))["tree"] >= head)


async def _verify(dsn: str) -> tuple[int, Any]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service", "verify", "--quiet",
        env={**os.environ, "DATABASE_URL": dsn},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()
