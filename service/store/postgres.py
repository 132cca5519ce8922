"""The PostgreSQL event store: group-committed appends under one lock, gapless global reads.

How the global order stays gapless (DESIGN.md, "the global order problem"): every append
transaction first takes one transaction-scoped advisory lock, then reads max(position) and
assigns the next positions itself. PostgreSQL makes a transaction's rows visible before it
releases its locks, so the next lock holder can only commit after the previous one is visible:
positions become visible in order, with no gaps, and a reader paging by `position > n` never
skips a row that commits later. The cost is one writer at a time, so appends from concurrent
callers of this process are grouped into one transaction (one lock, one commit, one fsync):
while a batch is being written the next callers queue up and go together in the next one.
A whole batch is one call of pledger_append() (schema/001_events.sql): one round trip.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg

from service.domain.errors import ConcurrencyConflict, DomainError, StreamNotFound, Unavailable
from service.log.records import (
    NewEvent,
    RecordedEvent,
    assemble_canonical,
    canonical_parts,
)
from service.observability.metrics import record_append_batch
from service.store.batching import PendingAppend, replay_of, result_of
from service.store.errors import CONNECTION_ERRORS, translate_db_errors
from service.store.notifier import Notifier, follow
from service.store.ports import AppendResult, Direction, ExpectedVersion
from service.store.validation import validate_append

log = logging.getLogger(__name__)

APPEND_LOCK = 7_085_201_002  # the advisory lock every append transaction takes
CHANNEL = "pledger_events"

APPEND_SQL = (
    "SELECT * FROM pledger_append($1, $2, $3::int[], $4::text[], $5::int[], $6::uuid[],"
    " $7::text[], $8::jsonb[], $9::jsonb[], $10::timestamptz[], $11::text[], $12::text[])"
)


class PostgresStore:
    """EventStore over an asyncpg pool; `dsn` is used for the one LISTEN connection."""

    def __init__(
        self,
        pool: Any,
        dsn: str,
        *,
        batch_max: int = 500,
        writers: int = 1,
        poll_interval: float = 1.0,
    ) -> None:
        self._pool = pool
        self._batch_max = batch_max
        self._queue: list[PendingAppend] = []
        self._writers: set[asyncio.Task[None]] = set()
        self._max_writers = writers
        self._draining = 0  # writers still taking batches from the queue
        self.notifier = Notifier(dsn, CHANNEL, poll_interval=poll_interval)

    @property
    def pool(self) -> Any:
        return self._pool

    # -- writing ---------------------------------------------------------------------------

    async def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: ExpectedVersion
    ) -> AppendResult:
        rendered = validate_append(stream_id, events, expected_version)
        future: asyncio.Future[AppendResult] = asyncio.get_running_loop().create_future()
        pending = PendingAppend(stream_id, list(events), expected_version, future, rendered)
        self._queue.append(pending)
        if self._draining < self._max_writers:
            self._draining += 1  # counted from creation, so a burst cannot start more
            # A second writer sends its batch while the first one's result travels back; the
            # lock still orders them, but the database is never idle between batches.
            task = asyncio.create_task(self._write_queued(), name="pledger-append-writer")
            self._writers.add(task)
            task.add_done_callback(self._writers.discard)
        return await future

    async def _write_queued(self) -> None:
        # One connection for the whole run of batches: a release per batch would cost the
        # pool's reset round trip each time. It goes back when the queue is empty.
        held: list[Any] = []
        try:
            await self._drain(held)
        finally:
            # No await between the queue found empty and this: an append arriving later
            # sees one writer fewer and starts its own, so none waits for a writer that left.
            self._draining -= 1
            if held:
                await self._pool.release(held[0])

    async def _drain(self, held: list[Any]) -> None:
        while self._queue:
            # Let the callers whose appends just completed run first: a caller that appends
            # again at once then joins this batch instead of waiting a whole round for the next.
            await asyncio.sleep(0)
            batch, self._queue = self._queue[: self._batch_max], self._queue[self._batch_max :]
            if not batch:
                continue  # another writer took everything while we yielded
            started = time.perf_counter()
            try:
                await self._write_batch(held, batch)
                events = sum(len(p.events) for p in batch)
                record_append_batch(events, time.perf_counter() - started)
            except DomainError as e:
                _fail(batch, e)
            except asyncpg.DataError:
                # One caller's bad value must not fail the others: write them one by one.
                for pending in batch:
                    try:
                        await self._write_batch(held, [pending])
                    except Exception as e:  # noqa: BLE001 - handed to the caller, not lost
                        _fail([pending], e)
            except Exception as e:  # noqa: BLE001 - handed to every caller of the batch
                _fail(batch, e)

    async def _write_batch(self, held: list[Any], batch: list[PendingAppend]) -> None:
        """Write one batch on the held connection (acquired if none); `held` is [] or [conn]."""
        columns, parts = _append_arrays(batch)
        with translate_db_errors():
            if not held:
                held.append(await self._pool.acquire())
            try:
                try:
                    rows = await held[0].fetch(APPEND_SQL, APPEND_LOCK, False, *columns)
                except asyncpg.UniqueViolationError:
                    # An event id is stored already (a retry): decide again, looking ids up.
                    rows = await held[0].fetch(APPEND_SQL, APPEND_LOCK, True, *columns)
            except CONNECTION_ERRORS:
                await self._pool.release(held.pop())  # the pool replaces a broken one
                raise
        by_append: dict[int, list[Any]] = {}
        for row in rows:
            by_append.setdefault(row[0], []).append(row)
        wrote = False
        for idx, pending in enumerate(batch):
            outcome = _outcome(pending, parts[idx], by_append[idx])
            wrote = wrote or (isinstance(outcome, AppendResult) and not outcome.replayed)
            if pending.future.done():
                continue
            if isinstance(outcome, DomainError):
                pending.future.set_exception(outcome)
            else:
                pending.future.set_result(outcome)
        if wrote:
            self.notifier.wake()

    # -- reading ---------------------------------------------------------------------------

    async def read_stream(
        self,
        stream_id: str,
        from_version: int = 1,
        limit: int | None = None,
        direction: Direction = "forward",
    ) -> list[RecordedEvent]:
        op, order = (">=", "ASC") if direction == "forward" else ("<=", "DESC")
        sql = (
            f"SELECT position, canonical FROM events WHERE stream_id = $1 AND version {op} $2"
            f" ORDER BY version {order} LIMIT $3"
        )
        with translate_db_errors():
            rows = await self._pool.fetch(sql, stream_id, from_version, limit)
            if not rows and not await self.stream_version(stream_id):
                raise StreamNotFound(stream_id)
        return [RecordedEvent(r[0], r[1]) for r in rows]

    async def stream_version(self, stream_id: str) -> int:
        with translate_db_errors():
            version = await self._pool.fetchval(
                "SELECT version FROM events WHERE stream_id = $1 ORDER BY version DESC LIMIT 1",
                stream_id,
            )
        return int(version or 0)

    async def read_all(
        self, after_position: int = 0, limit: int = 1000, types: Sequence[str] | None = None
    ) -> list[RecordedEvent]:
        with translate_db_errors():
            if types:
                rows = await self._pool.fetch(
                    "SELECT position, canonical FROM events WHERE position > $1"
                    " AND type = ANY($3::text[]) ORDER BY position LIMIT $2",
                    after_position,
                    limit,
                    list(types),
                )
            else:
                rows = await self._pool.fetch(
                    "SELECT position, canonical FROM events WHERE position > $1"
                    " ORDER BY position LIMIT $2",
                    after_position,
                    limit,
                )
        return [RecordedEvent(r[0], r[1]) for r in rows]

    async def head_position(self) -> int:
        with translate_db_errors():
            head = await self._pool.fetchval("SELECT coalesce(max(position), 0) FROM events")
        return int(head)

    def subscribe(
        self, after_position: int = 0, types: Sequence[str] | None = None, page: int = 500
    ) -> AsyncIterator[RecordedEvent]:
        """Catch up, then follow: woken by NOTIFY, and polling too, so nothing is ever missed."""
        return follow(self._read_retrying, self.notifier, after_position, types, page)

    async def _read_retrying(
        self, after: int, limit: int, types: Sequence[str] | None
    ) -> list[RecordedEvent]:
        delay = 0.1
        while True:
            try:
                return await self.read_all(after, limit, types)
            except Unavailable as e:  # keep the subscriber; retry with backoff
                log.warning("subscriber read failed, retrying in %.1fs: %s", delay, e)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def close(self) -> None:
        await asyncio.gather(*self._writers, return_exceptions=True)
        await self.notifier.close()


def _fail(batch: Sequence[PendingAppend], error: BaseException) -> None:
    for pending in batch:
        if not pending.future.done():
            pending.future.set_exception(error)


EXPECTED_CODES = {"any": -1, "no_stream": -2, "stream_exists": -3}


Parts = tuple[str, str]


def _append_arrays(batch: list[PendingAppend]) -> tuple[list[list[Any]], list[list[Parts]]]:
    """The batch as the parallel arrays pledger_append() takes, and each event's canonical parts."""
    columns: list[list[Any]] = [[] for _ in range(10)]
    parts_of: list[list[Parts]] = []
    for idx, pending in enumerate(batch):
        code = EXPECTED_CODES.get(pending.expected, pending.expected)  # type: ignore[arg-type]
        parts_of.append([])
        for event, (data, metadata) in zip(pending.events, pending.rendered, strict=True):
            parts = canonical_parts(
                event, stream_id=pending.stream_id, data_json=data, metadata_json=metadata
            )
            parts_of[-1].append(parts)
            values = (
                idx, pending.stream_id, code, event.event_id, event.type,
                data, metadata, event.occurred_at, *parts,
            )  # fmt: skip
            for column, value in zip(columns, values, strict=True):
                column.append(value)
    return columns, parts_of


def _outcome(
    pending: PendingAppend, parts: list[Parts], rows: list[Any]
) -> AppendResult | DomainError:
    kind = rows[0][1]
    if kind == "conflict":
        return ConcurrencyConflict(pending.stream_id, pending.expected, rows[0][2])
    if kind == "ok":
        # The same bytes the database assembled from the same parts (schema/001_events.sql).
        _, _, before, first, _, recorded_at = rows[0]
        events = [
            RecordedEvent(
                first + n,
                assemble_canonical(
                    parts[n], position=first + n, recorded_at=recorded_at, version=before + n + 1
                ),
            )
            for n in range(len(pending.events))
        ]
        return result_of(pending.stream_id, events, replayed=False, first_version=before + 1)
    stored = {e.event_id: e for e in (RecordedEvent(r[3], r[4]) for r in rows)}
    outcome = replay_of(pending, stored)
    assert outcome is not None  # the database found some of its ids
    return outcome
