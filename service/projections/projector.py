"""The projector: folds the global log into one generation of the read tables, batch by batch.

Each batch is read with `read_all` (gapless, so nothing is skipped or seen twice), every
commitment it touches is folded again with the domain's fold (and every commitment of a party
whose dissolution, or its correction, the batch holds), and rows, tallies
and checkpoint are written in one transaction on the projector's own connection: the one that
holds the leader lock (service/projections/leader.py), so a deposed leader cannot write.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from service.domain.events import commitment_stream
from service.log.records import RecordedEvent
from service.projections import tables
from service.projections.parties import PartyEvents, party_of
from service.projections.rows import StatusRow, fold_row
from service.projections.streams import (
    CACHE_BYTES,
    StreamCache,
    Tagged,
    commitment_stream_of,
)
from service.store.ports import EventStore
from service.webhooks import outbox

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
FOLD_CHUNK = 64  # streams folded between two trims of the cache (and read together if missing)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Resync(Exception):
    """The checkpoint or live generation moved under us (a rebuild swapped): start again there."""


class Projector:
    """Follows the live generation (generation=None, the service) or fills one (a rebuild)."""

    def __init__(
        self,
        store: EventStore,
        conn: Any,
        *,
        generation: int | None = None,
        batch_size: int = 2000,
        catch_up_pages: int = 50,
        cache_bytes: int = CACHE_BYTES,
        idle_seconds: float = 1.0,
        linger_seconds: float = 0.0,
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.conn = conn
        self.follow_live = generation is None
        self.generation = generation or 0
        self.position = -1  # unknown until synced with the checkpoint row
        self.batch_size = batch_size  # events per read; a live batch is at most one page
        self.catch_up_pages = catch_up_pages
        self.idle_seconds = idle_seconds
        self.linger_seconds = linger_seconds
        self.clock = clock
        self.cache = StreamCache(store, max_bytes=cache_bytes)
        self.parties = PartyEvents()
        self._prefetch: tuple[int, asyncio.Task[list[RecordedEvent]]] | None = None
        self._backlog = False  # the last batch read more than a page (see StreamCache.trim)

    async def sync(self) -> None:
        """Take generation and position from the tables, and forget what we had cached."""
        self._drop_prefetch()
        self.cache.clear()
        if self.follow_live:
            self.generation = await tables.live_generation(self.conn)
        position = await tables.checkpoint_of(self.conn, self.generation)
        if position is None:
            raise RuntimeError(f"generation {self.generation} has no checkpoint (retired?)")
        await self.parties.load(self.store, position)
        self.position = position
        log.info("projector at generation %d, position %d", self.generation, position)

    async def step(self) -> int:
        """Fold the next batch of the log into the tables; the number of events read."""
        if self.position < 0:
            await self.sync()
        events, party_events, count, last = await self._read_next()
        if count:
            self._backlog = count > self.batch_size
            touched = self.cache.add(events, backlog=self._backlog)
            del events  # the cache holds their bytes; the objects need not outlive the read
            parties = self.parties.add(party_events)
            if parties:
                seen = set(touched)
                ids = await tables.of_parties(self.conn, self.generation, parties)
                touched += [s for s in map(commitment_stream, ids) if s not in seen]
            await self._commit(touched, last)
        return count

    async def catch_up(self, until: int, progress: Callable[[int], object] | None = None) -> None:
        """Step until the checkpoint reaches `until` (a position already committed)."""
        while self.position < until:
            await self.step()
            if progress is not None:
                progress(self.position)

    async def refold_due(self) -> int:
        """Fold again the rows whose future-dated events have now occurred; how many."""
        if self.position < 0:
            await self.sync()
        ids = await tables.due_for_refold(self.conn, self.generation, self.clock())
        if ids:
            await self._commit([commitment_stream(i) for i in ids], self.position)
        return len(ids)

    async def run(self) -> None:
        """Forever: catch up, refold what the clock has made due, wait for news or a poll."""
        notifier = self.store.notifier
        try:
            while True:
                waiter = notifier.waiter()
                read = await self.step()
                if read >= self.batch_size:
                    continue
                await self.refold_due()
                if read and self.linger_seconds:
                    # Under a steady stream of writes, gather them for a moment: a commitment
                    # written many times is then folded once, not once per event, and the
                    # folding leaves the API (same process, same event loop) time to serve.
                    await asyncio.sleep(self.linger_seconds)
                    continue
                await notifier.wait(waiter)
        finally:
            self._drop_prefetch()

    async def _commit(self, streams: Sequence[str], position: int) -> None:
        rows = await self._fold(streams, position)
        try:
            async with self.conn.transaction():
                locked = await tables.lock_batch(self.conn, self.generation, self.follow_live)
                if locked != (self.generation, self.position):
                    raise Resync(f"expected {(self.generation, self.position)}, found {locked}")
                await tables.write_batch(self.conn, self.generation, rows, position)
                if self.follow_live:  # a rebuild's rows are not news (docs/operations.md)
                    await outbox.announce_rows(self.conn, rows)
        except Resync as e:
            log.info("projector resyncing: %s", e)
            self.position = -1
            return
        self.position = position

    async def _fold(self, streams: Sequence[str], position: int) -> list[StatusRow]:
        """Each stream's row at `position`, a chunk at a time: read the chunk's streams the
        cache lacks, fold, trim the cache to its budget, so memory stays bounded however many
        streams a batch touches."""
        now = self.clock()
        rows: list[StatusRow] = []
        for start in range(0, len(streams), FOLD_CHUNK):
            chunk = streams[start : start + FOLD_CHUNK]
            await self.cache.ensure(chunk)
            parties = self.parties.streams
            rows.extend(fold_row(self.cache.upto(s, position), now, parties) for s in chunk)
            self.cache.trim(backlog=self._backlog)
        return rows

    async def _read_next(self) -> tuple[list[Tagged], list[RecordedEvent], int, int]:
        """The commitment events after our position with their stream ids, the party events the
        fold reads, how many events were read and the last one's position. One page when live;
        while catching up, more pages (up to `catch_up_pages`, and half the cache's budget in
        bytes, so that cache and batch together stay within 1.5 times it), since each
        transaction folds a touched commitment once. Other events are dropped page by page."""
        kept: list[Tagged] = []
        party_events: list[RecordedEvent] = []
        after, count, size = self.position, 0, 0
        for _ in range(self.catch_up_pages):
            page = await self._read_page(after)
            if not page:
                break
            count, after = count + len(page), page[-1].position
            for event in page:
                stream_id = commitment_stream_of(event)
                if stream_id is not None:
                    kept.append((stream_id, event))
                    size += len(event.canonical)
                elif party_of(event) is not None:
                    party_events.append(event)
            if len(page) < self.batch_size or size >= self.cache.max_bytes // 2:
                break
        return kept, party_events, count, after

    async def _read_page(self, after: int) -> list[RecordedEvent]:
        """A page of the log; when it is full, the next one is read while we work."""
        if self._prefetch is not None and self._prefetch[0] == after:
            page = await self._prefetch[1]
            self._prefetch = None
        else:
            self._drop_prefetch()
            page = await self.store.read_all(after, self.batch_size)
        if len(page) == self.batch_size:
            task = asyncio.create_task(self.store.read_all(page[-1].position, self.batch_size))
            self._prefetch = (page[-1].position, task)
        return page

    def _drop_prefetch(self) -> None:
        if self._prefetch is not None:
            task = self._prefetch[1]
            task.cancel()
            task.add_done_callback(_consume)
            self._prefetch = None


def _consume(task: asyncio.Task[list[RecordedEvent]]) -> None:
    """A dropped read's outcome is of no interest; retrieving it keeps asyncio quiet."""
    with contextlib.suppress(asyncio.CancelledError, Exception):
        task.result()
