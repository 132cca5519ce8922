"""The database itself refuses to change the log, whoever asks and however."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import asyncpg
import pytest

from service.store.database import ensure_database, with_database
from service.store.migrations import applied, available, migrate
from tests.conftest import drop_database
from tests.support import new_event, unique

CHANGES = [
    "UPDATE events SET data = '{}'::jsonb WHERE position = $1",
    "DELETE FROM events WHERE position = $1",
]


@pytest.fixture
async def superuser(database_url):
    conn = await asyncpg.connect(database_url)
    yield conn
    await conn.close()


@pytest.mark.parametrize("replica", [False, True], ids=["origin", "replica-role"])
@pytest.mark.parametrize("sql", CHANGES, ids=["update", "delete"])
async def test_update_and_delete_are_refused(pg_store, superuser, sql, replica) -> None:
    result = await pg_store.append(unique(), [new_event(n=1)], "any")
    if replica:
        await superuser.execute("SET session_replication_role = replica")
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await superuser.execute(sql, result.first_position)
    [event] = await pg_store.read_stream(result.stream_id)
    assert event.data == {"n": 1}


@pytest.mark.parametrize("replica", [False, True], ids=["origin", "replica-role"])
async def test_truncate_is_refused(pg_store, superuser, replica) -> None:
    await pg_store.append(unique(), [new_event()], "any")
    head = await pg_store.head_position()
    if replica:
        await superuser.execute("SET session_replication_role = replica")
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await superuser.execute("TRUNCATE events")
    assert await pg_store.head_position() == head


async def test_service_role_may_only_read_and_insert(pg_pool, pg_store) -> None:
    result = await pg_store.append(unique(), [new_event()], "any")
    async with pg_pool.acquire() as conn:
        assert await conn.fetchval("SELECT current_user") == "pledger_app"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("ALTER TABLE events DISABLE TRIGGER events_refuse_update_delete")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DROP TABLE events")
    async with pg_pool.acquire() as conn:  # the role survives the pool's reset on release
        assert await conn.fetchval("SELECT current_user") == "pledger_app"
    assert (await pg_store.read_stream(result.stream_id))[0].position == result.first_position


async def test_concurrent_migrations_apply_each_file_once(server_dsn) -> None:
    dsn = with_database(server_dsn, unique("pledger_migrate").replace("-", "_"))
    await ensure_database(server_dsn, urlsplit(dsn).path.lstrip("/"))
    try:
        outcomes = await asyncio.gather(migrate(dsn), migrate(dsn), migrate(dsn))
        names = [m.name for m in available()]
        assert sorted(outcomes, key=len) == [[], [], names]  # one applied all, two waited
        conn = await asyncpg.connect(dsn)
        try:
            assert await applied(conn) == {m.version for m in available()}
        finally:
            await conn.close()
    finally:
        await drop_database(server_dsn, dsn)
