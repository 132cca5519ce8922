"""Apply the SQL migrations (package data: service.schema) in order, under an advisory lock.

Each applied file's SHA-256 is recorded; a file that changed after it was applied is refused.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

import asyncpg

log = logging.getLogger(__name__)

# The top-level schema/ directory, installed as the package service.schema (setup.py).
SCHEMA_DIR: Traversable = files("service.schema")
# Any constant works as long as every migrator uses the same one.
MIGRATION_LOCK = 7_085_201_001


class MigrationError(Exception):
    """The migrations cannot be applied as found; the message says why and what to do."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def available(schema_dir: Traversable = SCHEMA_DIR) -> list[Migration]:
    """Every NNN_name.sql in order; none at all is an installation error, never "up to date"."""
    found = []
    for path in sorted(schema_dir.iterdir(), key=lambda p: p.name):
        name = path.name
        if name.endswith(".sql") and name[:3].isdigit() and name[3:4] == "_":
            found.append(Migration(int(name[:3]), name[:-4], path.read_text(encoding="utf-8")))
    if not found:
        raise MigrationError(f"no migrations found in {schema_dir}: the installation is broken")
    return found


async def applied(conn: asyncpg.Connection) -> set[int]:
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return set()
    rows = await conn.fetch("SELECT version FROM schema_migrations")
    return {r["version"] for r in rows}


async def pending(
    conn: asyncpg.Connection, schema_dir: Traversable = SCHEMA_DIR
) -> list[Migration]:
    done = await applied(conn)
    return [m for m in available(schema_dir) if m.version not in done]


def check_unchanged(found: list[Migration], done: dict[int, str]) -> None:
    """Refuse to run over a migration whose file differs from what was applied."""
    for m in found:
        recorded = done.get(m.version)
        if recorded and recorded != m.checksum:
            raise MigrationError(
                f"migration {m.name} changed after it was applied (sha256 {recorded[:12]}"
                f" recorded, {m.checksum[:12]} now): released migrations are never edited;"
                " restore the file and put the change in a new one"
            )


async def migrate(dsn: str, schema_dir: Traversable = SCHEMA_DIR) -> list[str]:
    """Apply what is pending and return the names applied; a concurrent migrate waits, then no-ops.

    The session-level advisory lock serialises migrators across processes; each file runs in
    its own transaction together with its schema_migrations row, so a failing file leaves
    nothing half-applied and the next run starts again at that file.
    """
    found = available(schema_dir)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        try:
            done = await _bookkeeping(conn, found)
            check_unchanged(found, done)
            names = []
            for m in found:
                if m.version not in done:
                    await _apply(conn, m)
                    names.append(m.name)
            return names
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    finally:
        await conn.close()


async def _bookkeeping(conn: asyncpg.Connection, found: list[Migration]) -> dict[int, str]:
    """The applied versions and their checksums. Rows applied before checksums were kept get
    the file's checksum now (trusted on first sight, checked from then on)."""
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY, name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )
    await conn.execute("ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text")
    await conn.executemany(
        "UPDATE schema_migrations SET checksum = $2 WHERE version = $1 AND checksum IS NULL",
        [(m.version, m.checksum) for m in found],
    )
    rows = await conn.fetch("SELECT version, checksum FROM schema_migrations")
    return {r["version"]: r["checksum"] or "" for r in rows}


async def _apply(conn: asyncpg.Connection, m: Migration) -> None:
    async with conn.transaction():
        await conn.execute(m.sql)
        await conn.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
            m.version,
            m.name,
            m.checksum,
        )
    log.info("applied migration %s", m.name)
