"""Real `pledger serve` processes for the scale-out tests, and who holds which worker's lock.

Each process gets its own `application_name` through its DSN, so pg_stat_activity tells which
process a lock-holding session belongs to (embedded PostgreSQL talks over a Unix socket, where
client ports cannot tell).
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import aiohttp
import asyncpg

from service.projections.leader import PROJECTOR_LOCK
from service.relay.runner import RELAY_LOCK
from service.webhooks.leader import DELIVERER_LOCK
from tests.support import wait_for

LOCKS = {"projector": PROJECTOR_LOCK, "relay": RELAY_LOCK, "deliverer": DELIVERER_LOCK}


def with_application_name(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    query = [*parse_qsl(parts.query), ("application_name", name)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Serve:
    """One `pledger serve` with every worker on; `name` is its sessions' application_name."""

    name: str
    dsn: str
    environment: dict[str, str]
    port: int = field(default_factory=free_port)
    proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def start(self, session: aiohttp.ClientSession) -> None:
        env = {**os.environ, **self.environment}
        env["DATABASE_URL"] = with_application_name(self.dsn, self.name)
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "service", "serve", "--port", str(self.port),
            env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip

        async def ready() -> bool:
            assert self.proc is not None and self.proc.returncode is None, "serve exited"
            try:
                async with session.get(f"{self.url}/readyz") as resp:
                    return resp.status == 200
            except aiohttp.ClientError:
                return False

        await wait_for(ready, timeout=60, interval=0.1)

    async def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, its sessions end when the kernel closes them."""
        assert self.proc is not None
        self.proc.kill()
        await self.proc.wait()

    async def stop(self) -> None:
        if self.alive:
            assert self.proc is not None
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


async def lock_holders(conn: asyncpg.Connection, key: int) -> list[str]:
    """The application_name of every session holding advisory lock `key` in this database."""
    rows = await conn.fetch(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
        " AND l.classid::bigint = $1 AND l.objid::bigint = $2"
        " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        key >> 32,
        key & 0xFFFFFFFF,
    )
    return sorted(r["application_name"] for r in rows)


async def leaders(conn: asyncpg.Connection) -> dict[str, list[str]]:
    return {worker: await lock_holders(conn, key) for worker, key in LOCKS.items()}


async def positions(conn: asyncpg.Connection) -> dict[str, Any]:
    """How far the log, the read tables, the relay and the Merkle tree have got."""
    return dict(
        await conn.fetchrow(
            "SELECT (SELECT coalesce(max(position), 0) FROM events) AS head,"
            " (SELECT c.position FROM projection_checkpoints c JOIN projection_generations g"
            "   ON g.name = c.name AND g.live = c.generation) AS projector,"
            " (SELECT coalesce(max(position), 0) FROM relay_checkpoints) AS relay,"
            " (SELECT count(*) FROM merkle_nodes WHERE level = 0) AS tree"
        )
    )
