"""Apply schema/NNN_*.sql in order, one transaction each, under an advisory lock."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import asyncpg

log = logging.getLogger(__name__)

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema"
# Any constant works as long as every migrator uses the same one.
MIGRATION_LOCK = 7_085_201_001


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available(schema_dir: Path = SCHEMA_DIR) -> list[Migration]:
    found = []
    for path in sorted(schema_dir.glob("[0-9][0-9][0-9]_*.sql")):
        found.append(Migration(int(path.name[:3]), path.stem, path.read_text(encoding="utf-8")))
    return found


async def applied(conn: asyncpg.Connection) -> set[int]:
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return set()
    rows = await conn.fetch("SELECT version FROM schema_migrations")
    return {r["version"] for r in rows}


async def pending(conn: asyncpg.Connection, schema_dir: Path = SCHEMA_DIR) -> list[Migration]:
    done = await applied(conn)
    return [m for m in available(schema_dir) if m.version not in done]


async def migrate(dsn: str, schema_dir: Path = SCHEMA_DIR) -> list[str]:
    """Apply what is pending and return the names applied; a concurrent migrate waits, then no-ops.

    The session-level advisory lock serialises migrators across processes; each file runs in
    its own transaction together with its schema_migrations row, so a failing file leaves
    nothing half-applied and the next run starts again at that file.
    """
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            names = []
            for m in await pending(conn, schema_dir):
                async with conn.transaction():
                    await conn.execute(m.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                        m.version,
                        m.name,
                    )
                log.info("applied migration %s", m.name)
                names.append(m.name)
            return names
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    finally:
        await conn.close()
