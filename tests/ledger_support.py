"""Ledger test helpers: a throwaway database, a signing key, and the real app around them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from service.app import create_app
from service.config import Settings
from service.ledger.background import ledger_background
from service.ledger.checkpoint import SigningKey
from service.ledger.signing import write_key_pair
from service.store.database import create_pool
from service.store.postgres import PostgresStore
from tests.conftest import drop_database, fresh_database
from tests.support import new_event, unique, wait_for

ORIGIN = "ledger.pledger.test"


@dataclass
class LedgerEnv:
    """A database of its own (tests here corrupt it on purpose), a key file and a writer."""

    dsn: str
    key: SigningKey
    key_path: Path
    store: PostgresStore
    pool: Any

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": self.dsn,
            "access_log": False,
            "poll_interval_seconds": 0.05,
            "signing_key": self.key_path,
            "checkpoint_every_events": 5,
            "checkpoint_every_seconds": 0.2,
        }
        return Settings(**(values | overrides))

    def app(self, **overrides: Any) -> Any:
        settings = self.settings(**overrides)
        return create_app(settings, background=(ledger_background(settings),))

    async def append(self, count: int) -> int:
        """Append `count` events in one new stream; the last position."""
        result = await self.store.append(
            unique("ledger"), [new_event(n=i) for i in range(count)], "no_stream"
        )
        return result.last_position

    async def wait_for_checkpoint(self, size: int) -> dict[str, Any]:
        """The latest checkpoint row once one covers at least `size` events."""
        row: dict[str, Any] = {}

        async def signed() -> bool:
            found = await self.pool.fetchrow(
                "SELECT tree_size, note FROM checkpoints ORDER BY tree_size DESC LIMIT 1"
            )
            row.update(dict(found) if found else {})
            return bool(found) and found["tree_size"] >= size

        await wait_for(signed, timeout=15)
        return row

    @contextlib.asynccontextmanager
    async def superuser(self) -> AsyncIterator[asyncpg.Connection]:
        conn = await asyncpg.connect(self.dsn)
        try:
            yield conn
        finally:
            await conn.close()


@contextlib.asynccontextmanager
async def ledger_env(server_dsn: str, tmp_path: Path) -> AsyncIterator[LedgerEnv]:
    dsn = await fresh_database(server_dsn, "pledger_ledger")
    key_path = tmp_path / "signing.key"
    key = write_key_pair(ORIGIN, key_path)
    pool = await create_pool(dsn, role="pledger_app", min_size=1, max_size=4, timeout=5)
    store = PostgresStore(pool, dsn, poll_interval=0.05)
    try:
        yield LedgerEnv(dsn, key, key_path, store, pool)
    finally:
        await store.close()
        await pool.close()
        await drop_database(server_dsn, dsn)
