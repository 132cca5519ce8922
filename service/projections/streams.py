"""The commitment streams the projector folds, kept in memory while it reads the log in order.

A cached stream is a prefix of the stream (versions 1..n). It stays complete as long as every
batch the projector reads follows the last one, because each batch brings every new event of
every stream. After any jump (a resync) the cache is cleared. The cache keeps canonical bytes
within a byte budget, least recently used out first; a stream it lacks, and the batch does not
start at version 1, is read from the store just before it is folded.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from service.log.records import RecordedEvent
from service.store.ports import EventStore

COMMITMENT_PREFIX = "commitment-"
STREAM_PREFIX = b'"' + COMMITMENT_PREFIX.encode()
# What a cached event costs beside its canonical bytes: the bytes object's header, its position
# (an int) and two list slots (sys.getsizeof, rounded up).
EVENT_OVERHEAD = 80
# The service's budget (a catch-up batch holds half as much again): the projector then adds
# about 45 MB to `pledger serve` at its peak (docs/projections.md). A rebuild takes more.
CACHE_BYTES = 24 * 2**20
Tagged = tuple[str, RecordedEvent]  # a commitment event and its stream id


def commitment_stream_of(event: RecordedEvent) -> str | None:
    """The event's stream id if it is a commitment stream, else None, read from the canonical
    bytes without decoding them (the projector skips other streams at the cost of a search).

    In the canonical document (keys sorted, docs/canonical-form.md) "stream_id" is followed only
    by "type" and "version", so its last occurrence as a key is the top-level one; a key inside
    "data" comes earlier, and a JSON string cannot hold an unescaped quote.
    """
    canonical = event.canonical
    at = canonical.rfind(b',"stream_id":') + 13  # 13: the length of the key and its colon
    if at < 13 or not canonical.startswith(STREAM_PREFIX, at):
        return None
    end = canonical.index(b'"', at + 1)
    stream_id = canonical[at + 1 : end]
    if b"\\" in stream_id:  # an escape: leave it to the real decoder
        return event.stream_id
    return stream_id.decode("utf-8")


def version_of(event: RecordedEvent) -> int:
    """The event's stream version, the canonical document's last value."""
    canonical = event.canonical
    return int(canonical[canonical.rindex(b'"version":') + 10 : -1])


@dataclass(slots=True)
class _Stream:
    """A cached stream prefix as bytes: no decoded objects live on between folds, so the cache
    costs about the log's own bytes and the cyclic collector has two lists per stream to walk."""

    positions: list[int] = field(default_factory=list)
    canonicals: list[bytes] = field(default_factory=list)
    size: int = 0  # footprint in bytes

    def extend(self, events: Iterable[RecordedEvent]) -> int:
        """Append the events after the last one held; the bytes added."""
        last = self.positions[-1] if self.positions else -1
        added = 0
        for e in events:
            if e.position > last:  # a stream loaded in this batch may hold them already
                self.positions.append(e.position)
                self.canonicals.append(e.canonical)
                added += len(e.canonical) + EVENT_OVERHEAD
        self.size += added
        return added


class StreamCache:
    """Commitment streams by id, least recently used first, within `max_bytes` of footprint.

    The fold gets fresh RecordedEvents (`upto`), decoded once and dropped after it.
    """

    def __init__(self, store: EventStore, *, max_bytes: int = CACHE_BYTES) -> None:
        self._store = store
        self.max_bytes = max_bytes
        self._streams: OrderedDict[str, _Stream] = OrderedDict()
        self._size = 0

    @property
    def size(self) -> int:
        """The cached streams' footprint in bytes (canonical bytes and per-event overhead)."""
        return self._size

    def clear(self) -> None:
        self._streams.clear()
        self._size = 0

    def add(self, events: Iterable[Tagged], *, backlog: bool = False) -> list[str]:
        """Take a batch of commitment events read from the log (in position order, each with
        its stream id: `commitment_stream_of`); the streams it touched. A stream that is not
        cached and not started by the batch is left out, and so is one that the budget evicts:
        `ensure` reads it whole before it is folded."""
        batch: dict[str, list[RecordedEvent]] = {}
        for stream_id, event in events:
            batch.setdefault(stream_id, []).append(event)
        for stream_id, new in batch.items():
            cached = self._streams.get(stream_id)
            if cached is not None:
                self._streams.move_to_end(stream_id)
            elif version_of(new[0]) == 1:
                cached = self._streams[stream_id] = _Stream()
            else:
                continue
            self._size += cached.extend(new)
        self.trim(backlog=backlog)
        return list(batch)

    async def ensure(self, stream_ids: Sequence[str]) -> None:
        """Read from the store the given streams that are not cached, before they are folded."""
        await self._load([s for s in stream_ids if s not in self._streams])

    def upto(self, stream_id: str, position: int) -> list[RecordedEvent]:
        """The stream's events at or before `position` (a loaded stream may hold later ones)."""
        stream = self._streams[stream_id]
        end = len(stream.positions)
        if stream.positions[-1] > position:
            end = bisect_right(stream.positions, position)
        return list(map(RecordedEvent, stream.positions[:end], stream.canonicals[:end]))

    async def _load(self, missing: Sequence[str]) -> None:
        loaded = await asyncio.gather(*(self._store.read_stream(s) for s in missing))
        for stream_id, events in zip(missing, loaded, strict=True):
            stream = self._streams[stream_id] = _Stream()
            self._size += stream.extend(events)

    def trim(self, *, backlog: bool = False) -> None:
        """Evict streams down to the budget: the least recently used, or in a `backlog` (batches
        of many pages) the most recently used. A backlog's batches come round the same streams
        in log order, so the least recently used is the next one needed: evicting it would read
        every stream again once they outgrow the budget, while evicting the newest keeps a
        fixed share of them cached."""
        while self._size > self.max_bytes and self._streams:
            _, stream = self._streams.popitem(last=backlog)
            self._size -= stream.size
