"""A subscriber keeps receiving when notifications are lost or the listener connection dies."""

from __future__ import annotations

import asyncio

import asyncpg

from service.store.postgres import PostgresStore
from tests.support import new_event, unique, wait_for


async def _collect(store: PostgresStore, after: int, stream: str, out: list[int]) -> None:
    async for event in store.subscribe(after):
        if event.stream_id == stream:
            out.append(event.data["n"])


async def test_killed_listener_connection_only_delays_delivery(pg_pool, database_url) -> None:
    store = PostgresStore(pg_pool, database_url, poll_interval=0.2)
    stream, seen = unique(), []
    task = asyncio.create_task(_collect(store, await store.head_position(), stream, seen))
    await asyncio.wait_for(store.notifier.connected.wait(), 10)
    admin = await asyncpg.connect(database_url)
    try:
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND query LIKE 'LISTEN%'"
        )
        assert killed >= 1
        # Another process appends: no local wake-up, and our listener is gone.
        writer = PostgresStore(pg_pool, database_url)
        for n in range(3):
            await writer.append(stream, [new_event(n=n)], "any")
        await wait_for(lambda: seen == [0, 1, 2], timeout=10)
        await wait_for(lambda: store.notifier.connected.is_set(), timeout=10)  # reconnected
        await writer.append(stream, [new_event(n=3)], "any")
        await wait_for(lambda: seen == [0, 1, 2, 3], timeout=10)
    finally:
        task.cancel()
        await admin.close()
        await store.close()


async def test_without_any_notification_polling_delivers(pg_pool, database_url) -> None:
    # A store whose listener can never connect: only the poll interval wakes the subscriber.
    deaf = PostgresStore(pg_pool, "postgresql://nobody@127.0.0.1:1/none", poll_interval=0.1)
    stream, seen = unique(), []
    task = asyncio.create_task(_collect(deaf, await deaf.head_position(), stream, seen))
    writer = PostgresStore(pg_pool, database_url)
    try:
        await writer.append(stream, [new_event(n=7)], "any")
        await wait_for(lambda: seen == [7], timeout=10)
        assert not deaf.notifier.connected.is_set()
    finally:
        task.cancel()
        await deaf.close()
