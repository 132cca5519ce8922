"""Migrations: read from the installed package, checksummed when applied, never silently empty."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from service.store.database import ensure_database, with_database
from service.store.migrations import SCHEMA_DIR, MigrationError, available, migrate
from tests.conftest import drop_database


@pytest.fixture
async def empty_dsn(server_dsn: str) -> AsyncIterator[str]:
    name = f"pledger_mig_{uuid.uuid4().hex[:12]}"
    await ensure_database(server_dsn, name)
    dsn = with_database(server_dsn, name)
    yield dsn
    await drop_database(server_dsn, dsn)


@pytest.fixture
def schema_copy(tmp_path: Path) -> list[Path]:
    """The installed migrations copied into a directory of the test's own, in order."""
    copy = tmp_path / "schema"
    copy.mkdir()
    for m in SCHEMA_DIR.iterdir():
        if m.name.endswith(".sql"):
            (copy / m.name).write_text(m.read_text(encoding="utf-8"), encoding="utf-8")
    return sorted(copy.glob("*.sql"))


async def _recorded(dsn: str) -> dict[str, str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT name, checksum FROM schema_migrations ORDER BY version")
        return {r["name"]: r["checksum"] for r in rows}
    finally:
        await conn.close()


async def test_each_applied_file_is_recorded_with_its_checksum(empty_dsn: str) -> None:
    applied = await migrate(empty_dsn)
    files = {m.name: m for m in available()}
    assert applied == list(files) and applied[0] == "001_events"
    recorded = await _recorded(empty_dsn)
    assert recorded == {
        name: hashlib.sha256(m.sql.encode("utf-8")).hexdigest() for name, m in files.items()
    }
    assert await migrate(empty_dsn) == []  # a second run finds nothing to do


async def test_a_file_changed_after_it_was_applied_is_refused(
    empty_dsn: str, schema_copy: list[Path]
) -> None:
    folder = schema_copy[0].parent
    await migrate(empty_dsn, folder)
    second = schema_copy[1]
    second.write_text(second.read_text() + "\n-- edited after release\n")
    (folder / "999_later.sql").write_text("CREATE TABLE later_never_applied (x int);")
    with pytest.raises(MigrationError, match=f"{second.stem} changed after it was applied"):
        await migrate(empty_dsn, folder)
    assert "999_later" not in await _recorded(empty_dsn)  # refused before applying anything


async def test_no_migration_found_fails_loudly(empty_dsn: str, tmp_path: Path) -> None:
    with pytest.raises(MigrationError, match="no migrations found"):
        await migrate(empty_dsn, tmp_path)
    conn = await asyncpg.connect(empty_dsn)
    try:
        assert await conn.fetchval("SELECT to_regclass('schema_migrations')") is None
    finally:
        await conn.close()


async def test_rows_from_before_checksums_are_adopted(
    empty_dsn: str, schema_copy: list[Path]
) -> None:
    first = schema_copy[0]
    conn = await asyncpg.connect(empty_dsn)
    try:  # the bookkeeping as an older migrate left it: no checksum column
        await conn.execute(
            "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        await conn.execute(first.read_text())
        await conn.execute("INSERT INTO schema_migrations VALUES (1, $1)", first.stem)
    finally:
        await conn.close()
    applied = await migrate(empty_dsn, first.parent)
    assert applied == [p.stem for p in schema_copy[1:]]
    recorded = await _recorded(empty_dsn)
    assert recorded[first.stem] == hashlib.sha256(first.read_bytes()).hexdigest()


async def test_readiness_of_an_install_without_migrations_is_503(
    pg_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """A broken install is not ready: a 503 body naming why, never an unhandled error."""
    from service.api.health import database_readiness

    body, status = await database_readiness(pg_pool, tmp_path)()
    assert status == 503
    assert body["status"] == "unavailable" and "no migrations found" in body["migrations"]
    body, status = await database_readiness(pg_pool)()
    assert (status, body["status"]) == (200, "ready")
