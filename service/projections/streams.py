"""The commitment streams the projector folds, kept in memory while it reads the log in order.

A cached stream is a prefix of the stream (versions 1..n). It stays complete as long as every
batch the projector reads follows the last one, because each batch brings every new event of
every stream. After any jump (a resync) the cache is cleared. Streams are loaded from the store
only when a batch does not start them at version 1; the least recently used are evicted.
"""

from __future__ import annotations

import asyncio
import gc
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager

from service.domain.records import RecordedEvent
from service.store.ports import EventStore

COMMITMENT_PREFIX = "commitment-"


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collection during a bulk decode or fold (synchronous code, no awaits inside).

    Each collection walks every live container, and a catch-up keeps hundreds of thousands of
    decoded events alive: pausing halves the time of a bulk decode. The objects made here hold
    no cycles, so nothing is left for the collector to find afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class StreamCache:
    def __init__(self, store: EventStore, *, max_events: int = 200_000) -> None:
        self._store = store
        self._max_events = max_events
        self._streams: OrderedDict[str, list[RecordedEvent]] = OrderedDict()
        self._size = 0

    def clear(self) -> None:
        self._streams.clear()
        self._size = 0

    async def add(self, events: Sequence[RecordedEvent]) -> list[str]:
        """Take a batch read from the log (in position order); the commitment streams it touched."""
        batch: dict[str, list[RecordedEvent]] = {}
        with gc_paused():  # decoding makes many objects that live on: see gc_paused
            for event in events:
                if event.stream_id.startswith(COMMITMENT_PREFIX):
                    batch.setdefault(event.stream_id, []).append(event)
        missing = [s for s, new in batch.items() if s not in self._streams and new[0].version != 1]
        loaded = await asyncio.gather(*(self._store.read_stream(s) for s in missing))
        for stream_id, stream in zip(missing, loaded, strict=True):
            self._put(stream_id, stream)
        for stream_id, new in batch.items():
            cached = self._streams.get(stream_id)
            if cached is None:
                self._put(stream_id, list(new))
                continue
            self._streams.move_to_end(stream_id)
            last = cached[-1].position
            fresh = [e for e in new if e.position > last]  # a loaded stream may hold them
            cached.extend(fresh)
            self._size += len(fresh)
        self._evict(keep=batch.keys())
        return list(batch)

    async def ensure(self, stream_ids: Sequence[str]) -> None:
        """Load the given streams if they are not cached (for a refold without new events)."""
        missing = [s for s in stream_ids if s not in self._streams]
        loaded = await asyncio.gather(*(self._store.read_stream(s) for s in missing))
        for stream_id, stream in zip(missing, loaded, strict=True):
            self._put(stream_id, stream)

    def upto(self, stream_id: str, position: int) -> list[RecordedEvent]:
        """The stream's events at or before `position` (a loaded stream may hold later ones)."""
        stream = self._streams[stream_id]
        if stream[-1].position <= position:
            return stream
        return stream[: bisect_right([e.position for e in stream], position)]

    def _put(self, stream_id: str, stream: list[RecordedEvent]) -> None:
        self._streams[stream_id] = stream
        self._size += len(stream)

    def _evict(self, keep: Collection[str]) -> None:
        while self._size > self._max_events and len(self._streams) > 1:
            stream_id, stream = next(iter(self._streams.items()))
            if stream_id in keep:
                break
            del self._streams[stream_id]
            self._size -= len(stream)
