"""Where the CLI commands and the app get their database and store: one way, used by all."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

from service.config import Settings
from service.store.database import (
    EMBEDDED_DATABASE,
    create_pool,
    ensure_database,
    start_embedded,
    with_database,
)
from service.store.migrations import migrate
from service.store.postgres import PostgresStore


def resolve_database(settings: Settings) -> Settings:
    """DATABASE_URL when set; else start the embedded server with its data under data_dir."""
    if settings.database_url:
        return settings
    admin = start_embedded(settings.data_dir / "pg", keep=True)
    asyncio.run(ensure_database(admin, EMBEDDED_DATABASE))
    dsn = with_database(admin, EMBEDDED_DATABASE)
    return settings.model_copy(update={"database_url": dsn})


SERVICE_LOGIN = "pledger_service"  # created by schema/006_roles.sql


def service_login(settings: Settings) -> str:
    """The resolved database's DSN with the service's own login instead of the owner."""
    assert settings.database_url
    parts = urlsplit(settings.database_url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{SERVICE_LOGIN}@{host}"))


def migrated_database(settings: Settings) -> str:
    """The database's DSN, resolved as above and with every migration applied."""
    dsn = resolve_database(settings).database_url
    assert dsn
    asyncio.run(migrate(dsn))
    return dsn


@asynccontextmanager
async def open_store(
    settings: Settings, dsn: str | None = None, *, max_size: int | None = None
) -> AsyncIterator[PostgresStore]:
    """A PostgresStore on its own pool (its `.pool`), closed on exit; dsn defaults to settings'."""
    dsn = dsn or settings.database_url
    if not dsn:
        raise RuntimeError("no database: set DATABASE_URL or resolve the embedded one first")
    pool = await create_pool(
        dsn,
        role=settings.db_role,
        min_size=min(settings.pool_min_size, max_size or settings.pool_max_size),
        max_size=max_size or settings.pool_max_size,
        timeout=settings.db_timeout_seconds,
        statement_timeout=settings.statement_timeout_seconds,
    )
    store = PostgresStore(
        pool,
        dsn,
        batch_max=settings.append_batch_max,
        writers=settings.append_writers,
        poll_interval=settings.poll_interval_seconds,
    )
    try:
        yield store
    finally:
        await store.close()
        await pool.close()
