"""The PostgreSQL event store: group-committed appends under one lock, gapless global reads.

How the global order stays gapless (DESIGN.md, "the global order problem"): every append
transaction first takes one transaction-scoped advisory lock, then reads max(position) and
assigns the next positions itself. PostgreSQL makes a transaction's rows visible before it
releases its locks, so the next lock holder can only commit after the previous one is visible:
positions become visible in order, with no gaps, and a reader paging by `position > n` never
skips a row that commits later. The cost is one writer at a time, so appends from concurrent
callers of this process are grouped into one transaction (one lock, one commit, one fsync):
while a batch is being written the next callers queue up and go together in the next one.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any
from uuid import UUID

import asyncpg

from service.domain.errors import DomainError, StreamNotFound
from service.domain.records import NewEvent, RecordedEvent
from service.store.batching import PendingAppend, plan_batch
from service.store.errors import translate_db_errors
from service.store.notifier import Notifier
from service.store.ports import AppendResult, Direction, ExpectedVersion
from service.store.validation import validate_append

log = logging.getLogger(__name__)

APPEND_LOCK = 7_085_201_002  # the advisory lock every append transaction takes
CHANNEL = "pledger_events"

INSERT_SQL = """
INSERT INTO events (position, stream_id, version, event_id, type, data, metadata,
                    occurred_at, recorded_at, canonical)
SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::uuid[], $5::text[],
                     $6::jsonb[], $7::jsonb[], $8::timestamptz[], $9::timestamptz[], $10::bytea[])
"""


class PostgresStore:
    """EventStore over an asyncpg pool; `dsn` is used for the one LISTEN connection."""

    def __init__(
        self, pool: Any, dsn: str, *, batch_max: int = 500, poll_interval: float = 1.0
    ) -> None:
        self._pool = pool
        self._batch_max = batch_max
        self._queue: list[PendingAppend] = []
        self._writer: asyncio.Task[None] | None = None
        self.notifier = Notifier(dsn, CHANNEL, poll_interval=poll_interval)

    @property
    def pool(self) -> Any:
        return self._pool

    # -- writing ---------------------------------------------------------------------------

    async def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: ExpectedVersion
    ) -> AppendResult:
        validate_append(stream_id, events, expected_version)
        future: asyncio.Future[AppendResult] = asyncio.get_running_loop().create_future()
        self._queue.append(PendingAppend(stream_id, list(events), expected_version, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued(), name="pledger-append-writer")
        return await future

    async def _write_queued(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self._batch_max], self._queue[self._batch_max :]
            try:
                await self._write_batch(batch)
            except DomainError as e:
                _fail(batch, e)
            except asyncpg.DataError:
                # One caller's bad value must not fail the others: write them one by one.
                for pending in batch:
                    try:
                        await self._write_batch([pending])
                    except Exception as e:  # noqa: BLE001 - handed to the caller, not lost
                        _fail([pending], e)
            except Exception as e:  # noqa: BLE001 - handed to every caller of the batch
                _fail(batch, e)

    async def _write_batch(self, batch: list[PendingAppend]) -> None:
        streams = sorted({p.stream_id for p in batch})
        ids = [e.event_id for p in batch for e in p.events]
        with translate_db_errors():
            async with self._pool.acquire() as conn, conn.transaction():
                row = await conn.fetchrow(
                    "SELECT * FROM pledger_prepare_append($1, $2, $3)", APPEND_LOCK, streams, ids
                )
                plan = plan_batch(
                    batch,
                    head=row["head"],
                    now=row["now_at"],
                    versions=json.loads(row["versions"]),
                    existing=_decode_existing(row["existing"]),
                )
                if plan.rows:
                    await conn.execute(INSERT_SQL, *_columns(plan.rows))
                    await conn.execute(
                        "SELECT pg_notify($1, $2)", CHANNEL, str(plan.rows[-1][1].position)
                    )
        for pending, outcome in plan.outcomes:
            if pending.future.done():
                continue
            if isinstance(outcome, DomainError):
                pending.future.set_exception(outcome)
            else:
                pending.future.set_result(outcome)
        if plan.rows:
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

    async def subscribe(
        self, after_position: int = 0, types: Sequence[str] | None = None, page: int = 500
    ) -> AsyncIterator[RecordedEvent]:
        """Catch up, then follow: woken by NOTIFY, and polling too, so nothing is ever missed."""
        position = after_position
        while True:
            wake = self.notifier.waiter()
            events = await self._read_retrying(position, page, types)
            for event in events:
                position = event.position
                yield event
            if len(events) < page:
                await self.notifier.wait(wake)

    async def _read_retrying(
        self, after: int, limit: int, types: Sequence[str] | None
    ) -> list[RecordedEvent]:
        delay = 0.1
        while True:
            try:
                return await self.read_all(after, limit, types)
            except DomainError as e:  # Unavailable: keep the subscriber, retry with backoff
                log.warning("subscriber read failed, retrying in %.1fs: %s", delay, e)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def close(self) -> None:
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)
        await self.notifier.close()


def _fail(batch: Sequence[PendingAppend], error: BaseException) -> None:
    for pending in batch:
        if not pending.future.done():
            pending.future.set_exception(error)


def _decode_existing(raw: str) -> dict[UUID, RecordedEvent]:
    found = {}
    for position, b64 in json.loads(raw):
        event = RecordedEvent(position, base64.b64decode(b64))
        found[event.event_id] = event
    return found


def _columns(rows: list[tuple[NewEvent, RecordedEvent]]) -> list[list[Any]]:
    return [
        [r.position for _, r in rows],
        [r.stream_id for _, r in rows],
        [r.version for _, r in rows],
        [n.event_id for n, _ in rows],
        [n.type for n, _ in rows],
        [json.dumps(n.data) for n, _ in rows],
        [json.dumps(n.metadata) for n, _ in rows],
        [n.occurred_at for n, _ in rows],
        [r.recorded_at for _, r in rows],
        [r.canonical for _, r in rows],
    ]
