"""What only a real PostgreSQL can answer: racing writers and readers of the global log."""

from __future__ import annotations

import asyncio
import random

import asyncpg
import pytest

from service.domain.errors import ConcurrencyConflict
from service.store.database import create_pool
from service.store.postgres import PostgresStore
from tests.conftest import drop_database, fresh_database
from tests.support import new_event, unique, wait_for


def separate_writers(pool: asyncpg.Pool, dsn: str, n: int) -> list[PostgresStore]:
    """Stores with their own writer task each: their appends race as separate transactions,
    as they would from separate processes, instead of being grouped into one batch."""
    return [PostgresStore(pool, dsn) for _ in range(n)]


async def test_sixteen_racing_appenders_one_wins(pg_pool, database_url) -> None:
    stream = unique()
    stores = separate_writers(pg_pool, database_url, 16)
    await stores[0].append(stream, [new_event()], "no_stream")
    results = await asyncio.gather(
        *(s.append(stream, [new_event(), new_event()], 1) for s in stores), return_exceptions=True
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1
    assert len(losers) == 15
    assert all(isinstance(e, ConcurrencyConflict) and e.actual == 3 for e in losers)
    events = await stores[0].read_stream(stream)
    assert [e.version for e in events] == [1, 2, 3]


async def test_sixteen_racing_appenders_in_one_process_one_wins(pg_store) -> None:
    stream = unique()
    await pg_store.append(stream, [new_event()], "no_stream")
    results = await asyncio.gather(
        *(pg_store.append(stream, [new_event()], 1) for _ in range(16)), return_exceptions=True
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, ConcurrencyConflict) for r in results if isinstance(r, BaseException))
    assert [e.version for e in await pg_store.read_stream(stream)] == [1, 2]


async def _follow_subscriber(store: PostgresStore, after: int, out: list[int]) -> None:
    async for event in store.subscribe(after, page=97):
        out.append(event.position)


async def _follow_pages(store: PostgresStore, after: int, out: list[int]) -> None:
    position = after
    while True:
        page = await store.read_all(position, limit=37)
        out.extend(e.position for e in page)
        position = page[-1].position if page else position
        await asyncio.sleep(0)


async def test_readers_never_skip_or_repeat_under_concurrent_writers(pg_pool, database_url) -> None:
    reader = PostgresStore(pg_pool, database_url, poll_interval=0.05)
    head = await reader.head_position()
    seen_live: list[int] = []
    seen_paged: list[int] = []
    followers = [
        asyncio.create_task(_follow_subscriber(reader, head, seen_live)),
        asyncio.create_task(_follow_pages(reader, head, seen_paged)),
    ]
    writers = separate_writers(pg_pool, database_url, 8)
    rng = random.Random(7)

    async def write(store: PostgresStore) -> int:
        stream, count = unique(), 0
        for _ in range(250):
            n = rng.randint(1, 3)
            await store.append(stream, [new_event() for _ in range(n)], "any")
            count += n
        return count

    written = sum(await asyncio.gather(*(write(w) for w in writers)))
    final = await reader.head_position()
    for seen in (seen_live, seen_paged):
        await wait_for(lambda seen=seen: len(seen) >= final - head, timeout=60)
    for task in followers:
        task.cancel()
    await reader.close()
    expected = list(range(head + 1, head + written + 1))
    assert written >= 2000
    assert seen_live == expected
    assert seen_paged == expected


@pytest.mark.parametrize("writers", [1, 2, 4])
async def test_back_to_back_appends_never_wait_for_a_finished_writer(
    pg_pool, database_url, writers
) -> None:
    # Each append is awaited before the next: the caller resumes just as its writer finishes,
    # which is when a stale count of writers would leave the next append with none.
    store = PostgresStore(pg_pool, database_url, writers=writers)
    stream = unique()
    async with asyncio.timeout(10):  # awaited directly: wait_for's own task would hide it
        for version in range(30):
            await store.append(stream, [new_event()], version)
    assert await store.stream_version(stream) == 30
    await store.close()


async def test_a_burst_starts_no_more_writers_than_allowed(pg_pool, database_url) -> None:
    store = PostgresStore(pg_pool, database_url, writers=1, batch_max=10)
    appends = [store.append(unique(), [new_event()], "no_stream") for _ in range(100)]
    tasks = [asyncio.ensure_future(a) for a in appends]
    await asyncio.sleep(0)  # every append has queued; writers are decided by now
    assert store._draining == 1
    results = await asyncio.gather(*tasks)
    assert len({r.first_position for r in results}) == 100
    await store.close()


async def test_appends_stay_gapless_when_the_database_defaults_to_repeatable_read(
    server_dsn,
) -> None:
    dsn = await fresh_database(server_dsn, prefix="pledger_rr")
    admin = await asyncpg.connect(dsn)
    name = await admin.fetchval("SELECT current_database()")
    await admin.execute(
        f"ALTER DATABASE \"{name}\" SET default_transaction_isolation = 'repeatable read'"
    )
    await admin.close()
    pool = await create_pool(dsn, role="pledger_app", min_size=1, max_size=8, timeout=5)
    try:
        stores = separate_writers(pool, dsn, 4)
        await asyncio.gather(
            *(s.append(unique(), [new_event()], "any") for s in stores for _ in range(20))
        )
        events = await stores[0].read_all(0, 1000)
        assert [e.position for e in events] == list(range(1, 81))
    finally:
        await pool.close()
        await drop_database(server_dsn, dsn)
