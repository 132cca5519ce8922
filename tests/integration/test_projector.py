"""The projector against a real PostgreSQL: rows and checkpoint move together, reads wait for a
position, the schedule is computed for the reader's clock, and future-dated events are refolded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from service.domain.compliance import commitment_status
from service.log.records import RecordedEvent
from service.projections import queries
from tests.integration.commitment_world import (
    Commitment,
    Db,
    assessed,
    day,
    expected_row,
    fold_now,
    make,
    own_database,
    post,
    projector_on,
    running,
)
from tests.support import unique


@pytest.fixture(scope="module")
async def db(server_dsn: str) -> AsyncIterator[Db]:
    async with own_database(server_dsn) as db:
        yield db


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
    # Rules v2, R8: overdue from the due instant itself (v1: from the instant after it).
    tick = timedelta(microseconds=1)
    before = await queries.list_current(db.pool, promisor=p, now=due_by - tick)
    after = await queries.list_current(db.pool, promisor=p, now=due_by)
    assert [r["schedule"] for r in before + after] == ["not_due", "overdue"]
    assert (await queries.party_tally(db.pool, p, due_by - tick))["schedules"]["not_due"] == 1
    overdue = await queries.party_tally(db.pool, p, due_by)
    assert overdue["schedules"]["overdue"] == 1 and overdue["schedules"]["not_due"] == 0
    early = due_by - tick
    assert await queries.list_current(db.pool, promisor=p, schedule="overdue", now=early) == []


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
