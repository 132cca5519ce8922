"""Fixtures: a real, migrated PostgreSQL for the whole session (never a mock)."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from service.config import Settings
from service.store.database import (
    create_pool,
    ensure_database,
    start_embedded,
    stop_embedded,
    with_database,
)
from service.store.memory import MemoryStore
from service.store.migrations import migrate
from service.store.postgres import PostgresStore
from tests.embedded_server import Server
from tests.nats_support import destination, nats_url  # noqa: F401 - fixtures

# The browser tests need Playwright and Chromium, which a fresh machine with only Python lacks:
# `make test-browser` runs them (PLEDGER_BROWSER_TESTS=1); `make test` leaves them out.
collect_ignore = [] if os.environ.get("PLEDGER_BROWSER_TESTS") == "1" else ["browser"]


@pytest.fixture(scope="session")
def server_dsn() -> Iterator[str]:
    """A DSN with rights to create databases: DATABASE_URL, else a throwaway embedded server."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    with tempfile.TemporaryDirectory(prefix="pledger-test-", ignore_cleanup_errors=True) as tmp:
        yield start_embedded(Path(tmp) / "pg", keep=False)
        stop_embedded(Path(tmp) / "pg")


async def fresh_database(server_dsn: str, prefix: str = "pledger_test") -> str:
    """Create a new, migrated database on the server and return its DSN."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    await ensure_database(server_dsn, name)
    dsn = with_database(server_dsn, name)
    await migrate(dsn)
    return dsn


async def drop_database(server_dsn: str, dsn: str) -> None:
    name = urlsplit(dsn).path.lstrip("/")
    conn = await asyncpg.connect(server_dsn)
    try:
        quoted = await conn.fetchval("SELECT quote_ident($1)", name)
        await conn.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def database_url(server_dsn: str) -> AsyncIterator[str]:
    """One migrated database for the session; tests isolate themselves by unique ids."""
    dsn = await fresh_database(server_dsn)
    yield dsn
    await drop_database(server_dsn, dsn)


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        access_log=False,
        sse_heartbeat_seconds=0.2,
        poll_interval_seconds=0.2,
    )


@pytest.fixture(scope="session")
async def pg_pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    assert settings.database_url
    pool = await create_pool(
        settings.database_url, role=settings.db_role, min_size=1, max_size=12, timeout=5
    )
    yield pool
    try:
        await asyncio.wait_for(pool.close(), 10)
    except TimeoutError:
        # A connection still checked out would hold the session's end forever: say so, end it.
        pool.terminate()
        raise AssertionError("a pool connection was never released during the session") from None


@pytest.fixture(scope="session")
async def pg_store(pg_pool: asyncpg.Pool, settings: Settings) -> AsyncIterator[PostgresStore]:
    assert settings.database_url
    store = PostgresStore(pg_pool, settings.database_url, poll_interval=0.2)
    yield store
    await store.close()


@pytest.fixture(params=["memory", "postgres"])
def store(request: pytest.FixtureRequest, pg_store: PostgresStore) -> object:
    """The contract fixture: every test using it runs against both stores."""
    return MemoryStore() if request.param == "memory" else pg_store


@pytest.fixture
def private_server() -> Iterator[Server]:
    """A PostgreSQL of the test's own, which it may stop and start; stopped for good after."""
    with tempfile.TemporaryDirectory(prefix="pledger-private-", ignore_cleanup_errors=True) as tmp:
        server = Server(Path(tmp) / "pg")
        yield server
        server.start()  # running again, so that it can be stopped cleanly
        stop_embedded(Path(tmp) / "pg")
