"""The projector in operation: one leader across runners, a takeover when its session dies,
a rebuild that swaps while reads go on, and a database outage survived."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from service.domain.errors import Unavailable
from service.projections import queries
from service.projections.rebuild import REBUILD_LOCK, RebuildRunning, rebuild
from service.store.database import create_pool, ensure_database, with_database
from service.store.migrations import migrate
from service.store.postgres import PostgresStore
from tests.embedded_server import Server
from tests.integration.commitment_world import (
    Commitment,
    Db,
    assessed,
    day,
    make,
    own_database,
    post,
    running,
)
from tests.support import unique, wait_for


@pytest.fixture(scope="module")
async def db(server_dsn: str) -> AsyncIterator[Db]:
    async with own_database(server_dsn) as db:
        yield db


async def test_one_leader_and_a_takeover_when_its_session_dies(db: Db) -> None:
    async with running(db) as first, running(db) as second:
        await wait_for(lambda: first.leading.is_set() or second.leading.is_set())
        leader, standby = (first, second) if first.leading.is_set() else (second, first)
        c = await make(db, unique("c"), unique("p"))
        assert await queries.wait_for_position(db.pool, c.events[-1].position, timeout=10)
        assert not standby.leading.is_set()
        admin = await asyncpg.connect(db.dsn)  # the pool's role may not end a superuser session
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", leader.backend_pid)
        finally:
            await admin.close()
        await wait_for(lambda: standby.leading.is_set(), timeout=10)
        later = await make(db, unique("c"), unique("p"))
        assert await queries.wait_for_position(db.pool, later.events[-1].position, timeout=10)
        await wait_for(lambda: not leader.leading.is_set(), timeout=10)
        assert standby.leading.is_set()


async def test_a_lingering_projector_still_reaches_every_write(db: Db) -> None:
    # Under steady writes it gathers them for linger_seconds before folding: fewer folds,
    # but it must still catch up with every write, and the rows must be the last ones.
    async with running(db, linger_seconds=0.05) as runner:
        await wait_for(lambda: runner.leading.is_set())
        made = [await make(db, unique("c"), unique("p")) for _ in range(3)]
        for _ in range(5):
            for c in made:
                await post(db, c, {"type": "assessment_recorded", "assessor": "monitor",
                                   "verdict": "stalled", "strength": "reported",
                                   "occurred_at": day(1)})  # fmt: skip
        head = await db.store.head_position()
        assert await queries.wait_for_position(db.pool, head, timeout=10)
        for c in made:
            row = await queries.current_row(db.pool, c.id, datetime.now(UTC))
            assert row is not None and row["verdict"] == "stalled"


async def test_rebuild_swaps_while_reads_continue(db: Db) -> None:
    p = unique("p")
    made = [await assessed(db, p, "fulfilled") for _ in range(30)]
    async with running(db, batch_size=50):
        assert await queries.wait_for_position(db.pool, made[-1].events[-1].position, 10)
        before = await queries.party_tally(db.pool, p, datetime.now(UTC))
        generation = await db.pool.fetchval("SELECT live FROM projection_generations")
        failures: list[BaseException] = []
        seen: list[int] = []
        task = asyncio.create_task(rebuild(db.store, db.dsn, role="pledger_app", batch_size=20))
        while not task.done():
            try:
                seen.append(await queries.checkpoint(db.pool))
                rows = await queries.list_current(db.pool, promisor=p, now=datetime.now(UTC))
                assert len(rows) == 30
                assert await queries.party_tally(db.pool, p, datetime.now(UTC)) == before
            except Exception as e:  # noqa: BLE001 - collected: the test asserts there are none
                failures.append(e)
            await asyncio.sleep(0)
        report = await task
        extra = await assessed(db, p, "breached")  # the live projector follows the new generation
        assert await queries.wait_for_position(db.pool, extra.events[-1].position, 10)
    assert failures == []
    assert seen == sorted(seen)  # the checkpoint never went back
    assert report.generation == generation + 1
    assert await db.pool.fetchval("SELECT live FROM projection_generations") == generation + 1
    tally = await queries.party_tally(db.pool, p, datetime.now(UTC))
    assert tally["verdicts"]["fulfilled"] == 30 and tally["verdicts"]["breached"] == 1
    old_rows = "SELECT count(*) FROM commitment_status_current WHERE generation = $1"
    assert await db.pool.fetchval(old_rows, generation) == 0


async def test_a_second_rebuild_at_the_same_time_is_refused(db: Db) -> None:
    conn = await asyncpg.connect(db.dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", REBUILD_LOCK)
        with pytest.raises(RebuildRunning):
            await rebuild(db.store, db.dsn)
    finally:
        await conn.close()


async def test_the_projector_survives_a_database_outage(private_server: Server) -> None:
    await ensure_database(private_server.admin, "pledger")
    dsn = with_database(private_server.admin, "pledger")
    await migrate(dsn)
    pool = await create_pool(dsn, role="pledger_app", min_size=1, max_size=4, timeout=1)
    own = Db(dsn, pool, PostgresStore(pool, dsn, poll_interval=0.1))
    try:
        async with running(own) as runner:
            first = await make(own, unique("c"), unique("p"))
            assert await queries.wait_for_position(pool, first.events[-1].position, 10)
            private_server.stop()
            await wait_for(lambda: not runner.leading.is_set(), timeout=10)
            private_server.start()

            async def appended() -> Commitment | None:
                with contextlib.suppress(Unavailable):
                    return await make(own, unique("c"), unique("p"))
                return None

            later: list[Commitment] = []
            await wait_for(lambda: _append_into(later, appended), timeout=20, interval=0.2)
            assert await queries.wait_for_position(pool, later[0].events[-1].position, 20)
            assert runner.leading.is_set()
    finally:
        await own.store.close()
        await pool.close()


async def _append_into(out: list[Commitment], attempt: Any) -> bool:
    made = await attempt()
    if made is not None:
        out.append(made)
    return made is not None
