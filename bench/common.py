"""Shared set-up for the benchmarks: a fresh database on DATABASE_URL or an embedded server."""

from __future__ import annotations

import os
import statistics
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

from service.store.database import (
    ensure_database,
    start_embedded,
    stop_embedded,
    with_database,
)
from service.store.migrations import migrate


@asynccontextmanager
async def bench_database(prefix: str = "pledger_bench") -> AsyncIterator[str]:
    """A new, migrated database, dropped afterwards; the server is DATABASE_URL's or embedded."""
    with tempfile.TemporaryDirectory(prefix="pledger-bench-", ignore_cleanup_errors=True) as tmp:
        server = os.environ.get("DATABASE_URL") or start_embedded(Path(tmp) / "pg", keep=False)
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        await ensure_database(server, name)
        dsn = with_database(server, name)
        await migrate(dsn)
        try:
            yield dsn
        finally:
            conn = await asyncpg.connect(server)
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.close()
            stop_embedded(Path(tmp) / "pg")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def median(values: list[float]) -> float:
    return statistics.median(values)
