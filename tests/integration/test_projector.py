"""The projector against a real PostgreSQL: rows and checkpoint move together, the clock is read
at query time, one leader across runners, and a rebuild swaps while reads go on."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from service.domain.compliance import commitment_status
from service.domain.errors import Unavailable
from service.domain.records import RecordedEvent
from service.projections import queries
from service.projections.leader import ProjectorRunner
from service.projections.rebuild import REBUILD_LOCK, RebuildRunning, rebuild
from service.store.database import create_pool, ensure_database, with_database
from service.store.migrations import migrate
from service.store.postgres import PostgresStore
from tests.e2e.test_outage import Server
from tests.integration.commitment_world import (
    Commitment,
    Db,
    day,
    expected_row,
    fold_now,
    make,
    own_database,
    post,
    projector_on,
)
from tests.support import unique, wait_for


@pytest.fixture(scope="module")
async def db(server_dsn: str) -> AsyncIterator[Db]:
    async with own_database(server_dsn) as db:
        yield db


@contextlib.asynccontextmanager
async def running(db: Db, **options: Any) -> AsyncIterator[ProjectorRunner]:
    runner = ProjectorRunner(db.store, db.dsn, role="pledger_app", poll_interval=0.05, **options)
    task = asyncio.create_task(runner.run())
    try:
        yield runner
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def assessed(db: Db, promisor: str, verdict: str, **fields: Any) -> Commitment:
    c = await make(db, unique("c"), promisor, **fields)
    body = {"type": "assessment_recorded", "assessor": "monitor", "verdict": verdict,
            "strength": "verified", "occurred_at": day(1)}  # fmt: skip
    assert await post(db, c, body) is not None
    return c


async def test_rows_follow_the_log_and_reads_can_wait_for_a_position(db: Db) -> None:
    p = unique("p")
    async with running(db):
        kept = await assessed(db, p, "fulfilled", due_by=day(10))
        broken = await assessed(db, p, "breached", agreement=unique("a"))
        head = kept.events[-1].position
        assert await queries.wait_for_position(db.pool, broken.events[-1].position, timeout=10)
    assert await queries.checkpoint(db.pool) >= head
    now = datetime.now(UTC)
    rows = await queries.list_current(db.pool, promisor=p, now=now)
    assert rows == sorted([expected_row(fold_now(c, now)) for c in (kept, broken)],  # type: ignore[arg-type]
                          key=lambda r: r["id"])  # fmt: skip
    tally = await queries.party_tally(db.pool, p, now)
    assert tally["verdicts"]["fulfilled"] == 1 and tally["verdicts"]["breached"] == 1
    assert tally["kept_ratio"] == 0.5


async def test_wait_for_position_gives_up_at_the_timeout(db: Db) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    beyond = await db.store.head_position() + 1_000_000
    assert await queries.wait_for_position(db.pool, beyond, timeout=0.2) is False
    assert loop.time() - started < 2


async def test_schedule_is_computed_for_the_readers_clock(db: Db) -> None:
    p = unique("p")
    due = datetime.now(UTC) + timedelta(days=3)
    c = await make(db, unique("c"), p, due_by=due.date().isoformat())
    async with projector_on(db) as projector:
        await projector.catch_up(c.events[-1].position)
    due_by = fold_now(c, datetime.now(UTC)).due_by  # type: ignore[union-attr]
    assert due_by is not None
    before = await queries.list_current(db.pool, promisor=p, now=due_by)
    after = await queries.list_current(db.pool, promisor=p, now=due_by + timedelta(microseconds=1))
    assert [r["schedule"] for r in before + after] == ["not_due", "overdue"]
    assert (await queries.party_tally(db.pool, p, due_by))["schedules"]["not_due"] == 1
    overdue = await queries.party_tally(db.pool, p, due_by + timedelta(seconds=1))
    assert overdue["schedules"]["overdue"] == 1 and overdue["schedules"]["not_due"] == 0
    assert await queries.list_current(db.pool, promisor=p, schedule="overdue", now=due_by) == []


async def test_future_dated_events_are_folded_again_when_their_time_comes(db: Db) -> None:
    p = unique("p")
    now = datetime.now(UTC)
    c = await make(db, unique("c"), p, made_at=(now + timedelta(days=2)).date().isoformat())
    clock = [now]
    async with projector_on(db, clock=lambda: clock[0]) as projector:
        await projector.catch_up(c.events[-1].position)
        assert await queries.list_current(db.pool, promisor=p, now=now) == []
        assert await queries.candidate_ids(db.pool, promisor=p) == [c.id]
        clock[0] = now + timedelta(days=3)
        assert await projector.refold_due() == 1
        assert await projector.refold_due() == 0
    rows = await queries.list_current(db.pool, promisor=p, now=clock[0])
    assert [r["verdict"] for r in rows] == ["not_assessed"]


async def test_filters_and_keyset_pages(db: Db) -> None:
    p, a, q = unique("p"), unique("a"), unique("q")
    made = [await make(db, f"{p}-{i}", p, promisees=[q, "other"], agreement=a) for i in range(5)]
    await post(db, made[2], {"type": "withdrawn", "occurred_at": day(1)})
    async with projector_on(db) as projector:
        await projector.catch_up(await db.store.head_position())
    now = datetime.now(UTC)
    first = await queries.list_current(db.pool, promisee=q, now=now, limit=2)
    rest = await queries.list_current(db.pool, promisee=q, now=now, after=first[-1]["id"])
    assert [r["id"] for r in first + rest] == [c.id for c in made]
    closed = await queries.list_current(db.pool, agreement=a, schedule="closed", now=now)
    assert [r["id"] for r in closed] == [made[2].id]
    assert await queries.list_current(db.pool, agreement=a, verdict="withdrawn", now=now) == closed
    assert await queries.candidate_ids(db.pool, promisee=q, agreement=a) == [c.id for c in made]
    tally = await queries.agreement_tally(db.pool, a, now)
    assert list(tally["promisors"]) == [p]
    assert tally["overall"]["verdicts"] == {**tally["overall"]["verdicts"], "not_assessed": 4,
                                            "withdrawn": 1}  # fmt: skip


async def test_checkpoint_and_rows_advance_together(db: Db) -> None:
    """A reader in one snapshot never sees rows ahead of, or behind, the checkpoint."""
    p = unique("p")
    made = [await make(db, f"{p}-{i}", p) for i in range(4)]
    for i in range(12):
        verdict = ["in_progress", "fulfilled", "breached"][i % 3]
        body = {"type": "assessment_recorded", "assessor": f"m{i % 2}", "verdict": verdict,
                "strength": "reported", "occurred_at": day(1 + i)}  # fmt: skip
        await post(db, made[i % 4], body)
    head = await db.store.head_position()
    snapshots: list[tuple[int, dict[str, str | None]]] = []

    async def observe() -> None:
        conn = await asyncpg.connect(db.dsn)
        try:
            while not snapshots or snapshots[-1][0] < head:
                snapshots.append(await _snapshot(conn, p))
        finally:
            await conn.close()

    async with projector_on(db, batch_size=3, catch_up_pages=1) as projector:
        watcher = asyncio.create_task(observe())
        await projector.catch_up(head)
        await asyncio.wait_for(watcher, 10)
    assert len({position for position, _ in snapshots}) > 2  # it saw the state move
    for position, verdicts in snapshots:
        assert verdicts == _folded_at(made, position)


async def _snapshot(conn: Any, promisor: str) -> tuple[int, dict[str, str | None]]:
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        position = await conn.fetchval(queries.CHECKPOINT_SQL)
        rows = await conn.fetch(
            "SELECT commitment_id, verdict FROM commitment_status_current s WHERE"
            f" s.generation = {queries.LIVE} AND s.promisor = $1",
            promisor,
        )
    return int(position), {r[0]: r[1] for r in rows}


def _folded_at(made: list[Commitment], position: int) -> dict[str, str | None]:
    far = datetime.now(UTC) + timedelta(days=3650)
    out: dict[str, str | None] = {}
    for c in made:
        events: list[RecordedEvent] = [e for e in c.events if e.position <= position]
        if events:
            status = commitment_status(events, as_of=datetime.now(UTC), known_at=far)
            out[c.id] = None if status is None else status.verdict
    return out


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


@pytest.fixture
def private_server() -> Iterator[Server]:
    """A PostgreSQL of this test's own, which it may stop and start."""
    with tempfile.TemporaryDirectory(prefix="pledger-proj-outage-") as tmp:
        server = Server(Path(tmp) / "pg")
        yield server
        server.start()  # running again, so that its own cleanup can stop and delete it


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
