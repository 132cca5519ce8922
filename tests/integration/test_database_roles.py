"""The service's login (schema/006_roles.sql) cannot write the log or the ledger by itself:
only pledger_append() and the ledger's functions can, and RESET ROLE gives nothing more."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from service.config import Settings
from service.ledger.tree_store import TreeStore
from service.store.bootstrap import SERVICE_LOGIN, service_login
from service.store.database import create_pool
from service.store.postgres import PostgresStore
from tests.conftest import drop_database, fresh_database
from tests.support import new_event, unique

pytestmark = pytest.mark.postgres_only

PROTECTED = {
    "events": (
        "INSERT INTO events (position, stream_id, version, event_id, type, data, metadata,"
        " occurred_at, recorded_at, canonical) VALUES (999999999, 'forged', 1,"
        " gen_random_uuid(), 'x', '{}', '{}', now(), '2000-01-01', 'junk')"
    ),
    "merkle_nodes": "INSERT INTO merkle_nodes VALUES (40, 0, sha256('x'))",
    "checkpoints": "INSERT INTO checkpoints (tree_size, root_hash, note) VALUES"
    " (999999999, sha256('x'), 'forged')",
}


@pytest.fixture(scope="module")
async def owner_dsn(server_dsn: str) -> AsyncIterator[str]:
    """A database of this module's own: it stores a checkpoint no key signed."""
    dsn = await fresh_database(server_dsn, "pledger_roles")
    yield dsn
    await drop_database(server_dsn, dsn)


@pytest.fixture
def login_dsn(owner_dsn: str) -> str:
    return service_login(Settings(database_url=owner_dsn))


@pytest.fixture
async def login(login_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(login_dsn)
    yield conn
    await conn.close()


async def test_the_login_is_no_superuser_and_owns_nothing(login: Any) -> None:
    row = await login.fetchrow(
        "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user"
    )
    assert await login.fetchval("SELECT current_user") == SERVICE_LOGIN
    assert tuple(row) == (False, False, False)
    owners = await login.fetch(
        "SELECT tablename FROM pg_tables WHERE tableowner = current_user AND schemaname = 'public'"
    )
    assert owners == []


@pytest.mark.parametrize("table", sorted(PROTECTED))
async def test_direct_writes_to_protected_tables_are_refused(login: Any, table: str) -> None:
    for setup in ("SET ROLE pledger_app", "RESET ROLE"):
        await login.execute(setup)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await login.execute(PROTECTED[table])
    with pytest.raises(asyncpg.PostgresError):
        await login.execute("SET ROLE postgres")


async def test_the_login_appends_and_grows_the_ledger_through_the_functions(
    login_dsn: str,
) -> None:
    pool = await create_pool(login_dsn, role="pledger_app", min_size=1, max_size=2, timeout=5)
    store = PostgresStore(pool, login_dsn)
    try:
        stream = unique("roles")
        result = await store.append(stream, [new_event(n=1)], "no_stream")
        assert (await store.read_stream(stream))[0].position == result.first_position
        tree = TreeStore(pool)
        while await tree.extend_from_log(1000):
            pass
        size = await tree.size()
        assert size >= result.first_position
        root = await tree.root(size)
        note = f"roles test {datetime.now(UTC).isoformat()}"
        assert await tree.add_checkpoint(size, root, note)
        assert (await tree.latest_checkpoint()).note == note  # type: ignore[union-attr]
    finally:
        await store.close()
        await pool.close()
