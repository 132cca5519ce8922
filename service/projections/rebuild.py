"""`pledger rebuild`: fold the whole log into a new generation, then swap it in atomically.

The service keeps answering from the live generation meanwhile. The swap transaction locks the
live-generation row (the live projector's batches wait for it), brings the new generation up
to the live checkpoint, so that no reader ever sees the checkpoint go back, and points `live`
at the new generation. The old generation's rows are deleted afterwards.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from service.projections import tables
from service.projections.projector import Projector
from service.store.database import create_pool
from service.store.ports import EventStore

log = logging.getLogger(__name__)

REBUILD_LOCK = 7_085_201_006  # one rebuild at a time
# A rebuild runs in a process of its own (`pledger rebuild`), outside the service's memory goal:
# a larger cache means larger transactions, so a commitment spread over the log is folded fewer
# times (docs/projections.md, figures).
REBUILD_CACHE_BYTES = 96 * 2**20
PREPARE_SQL = [
    "DELETE FROM commitment_status_current WHERE generation <> $1",
    "DELETE FROM party_tallies WHERE generation <> $1",
    "DELETE FROM agreement_tallies WHERE generation <> $1",
    "DELETE FROM projection_checkpoints WHERE name = 'commitments' AND generation <> $1",
]
RETIRE_SQL = [s.replace("generation <> $1", "generation = $1") for s in PREPARE_SQL]
NEW_CHECKPOINT_SQL = (
    "INSERT INTO projection_checkpoints (name, generation, position) VALUES ('commitments', $1, 0)"
)
LOCK_FOR_SWAP_SQL = "SELECT live FROM projection_generations WHERE name = 'commitments' FOR UPDATE"
SWAP_SQL = "UPDATE projection_generations SET live = $1 WHERE name = 'commitments'"


class RebuildRunning(RuntimeError):
    """Another rebuild holds the rebuild lock."""


@dataclass(frozen=True, slots=True)
class RebuildReport:
    generation: int
    replaced: int
    position: int
    seconds: float


async def rebuild(
    store: EventStore,
    dsn: str,
    *,
    role: str = "",
    batch_size: int = 2000,
    cache_bytes: int = REBUILD_CACHE_BYTES,
    progress: Callable[[int, int], object] | None = None,
) -> RebuildReport:
    """Build generation live+1 from position 0, swap it in, retire the old one.

    `progress(position, head)` is called after each batch; `cache_bytes` bounds the events held
    (see StreamCache).
    """
    started = time.perf_counter()
    pool = await create_pool(dsn, role=role, min_size=1, max_size=1, timeout=10)
    try:
        async with pool.acquire() as conn:  # releasing it also releases the lock
            if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", REBUILD_LOCK):
                raise RebuildRunning("another rebuild is running")
            old = await tables.live_generation(conn)
            projector = Projector(store, conn, generation=await _prepare(conn, old),
                                  batch_size=batch_size, cache_bytes=cache_bytes)  # fmt: skip
            await _fill(projector, store, progress)
            await _swap(conn, projector, old)
            for sql in RETIRE_SQL:
                await conn.execute(sql, old)
    finally:
        await pool.close()
    elapsed = time.perf_counter() - started
    new, position = projector.generation, projector.position
    log.info("rebuilt generation %d up to %d in %.1fs", new, position, elapsed)
    return RebuildReport(new, old, position, elapsed)


async def _prepare(conn: Any, live: int) -> int:
    """Clear what a crashed rebuild left (any generation but the live one); start live+1 at 0."""
    async with conn.transaction():
        for sql in PREPARE_SQL:
            await conn.execute(sql, live)
        await conn.execute(NEW_CHECKPOINT_SQL, live + 1)
    return live + 1


async def _fill(
    projector: Projector, store: EventStore, progress: Callable[[int, int], object] | None
) -> None:
    """Catch up with the head, again and again while appends keep coming, so that the swap
    transaction has only the last few events to fold."""
    while True:
        head = await store.head_position()
        before = projector.position
        report = None if progress is None else functools.partial(_report, progress, head=head)
        await projector.catch_up(head, report)
        if projector.position - max(before, 0) <= projector.batch_size:
            return


def _report(progress: Callable[[int, int], object], position: int, *, head: int) -> None:
    progress(position, head)


async def _swap(conn: Any, projector: Projector, old: int) -> None:
    async with conn.transaction():
        live = await conn.fetchval(LOCK_FOR_SWAP_SQL)
        if live != old:
            raise RuntimeError(f"the live generation changed to {live} during the rebuild")
        live_position = await tables.checkpoint_of(conn, old) or 0
        await projector.catch_up(live_position)  # its batches nest as savepoints
        await conn.execute(SWAP_SQL, projector.generation)
    log.info("swapped in generation %d at position %d", projector.generation, projector.position)
