"""Relay test helpers: a database of the test's own, a writer, and runners to start and stop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from service.config import Settings
from service.relay.background import relay_runner
from service.relay.runner import RelayRunner
from service.store.database import create_pool
from service.store.postgres import PostgresStore
from tests.conftest import drop_database, fresh_database
from tests.nats_support import Destination
from tests.support import new_event, unique, wait_for

SOURCE = "ledger.pledger.test"


@dataclass
class RelayEnv:
    """The relay reads the whole log from position 0, so each test has a database of its own."""

    dsn: str
    dest: Destination
    store: PostgresStore
    pool: Any
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": self.dsn,
            "poll_interval_seconds": 0.05,
            "ledger_origin": SOURCE,
            **self.dest.settings(),
        }
        return Settings(**(values | overrides))

    def start(self, **overrides: Any) -> RelayRunner:
        runner = relay_runner(self.store, self.dsn, self.settings(**overrides))
        self.tasks.append(asyncio.create_task(runner.run()))
        return runner

    async def append(self, streams: int, per_stream: int, kind: str = "commitment") -> int:
        """`streams` new streams of `per_stream` events each; the log's head after."""
        last = 0
        for _ in range(streams):
            events = [new_event("thing_happened", n=i) for i in range(per_stream)]
            result = await self.store.append(unique(kind), events, "no_stream")
            last = result.last_position
        return last

    async def checkpoint(self) -> int:
        value = await self.pool.fetchval("SELECT position FROM relay_checkpoints")
        return int(value or 0)

    async def wait_relayed(self, position: int, timeout: float = 20) -> None:
        async def reached() -> bool:
            return await self.checkpoint() >= position

        await wait_for(reached, timeout=timeout)

    async def log_ids(self) -> list[str]:
        rows = await self.pool.fetch("SELECT event_id FROM events ORDER BY position")
        return [str(r["event_id"]) for r in rows]


@contextlib.asynccontextmanager
async def relay_env(server_dsn: str, dest: Destination) -> AsyncIterator[RelayEnv]:
    dsn = await fresh_database(server_dsn, "pledger_relay")
    pool = await create_pool(dsn, role="pledger_app", min_size=1, max_size=4, timeout=5)
    store = PostgresStore(pool, dsn, poll_interval=0.05)
    env = RelayEnv(dsn, dest, store, pool)
    try:
        yield env
    finally:
        for task in env.tasks:
            task.cancel()
        await asyncio.gather(*env.tasks, return_exceptions=True)
        await store.close()
        await pool.close()
        await drop_database(server_dsn, dsn)
