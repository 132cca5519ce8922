"""Facts about streams that never change once true, cached in process without invalidation.

The log is append-only and the database refuses updates, so a stream's first event (the party,
agreement or commitment it creates) is never rewritten, a stream that exists always will, and
any prefix of a stream (versions 1..n) stays that prefix forever. The write path learns first
events once instead of asking PostgreSQL on every request; the read path keeps decoded prefixes
and reads only the tail. Absence is not cached (a stream may be created at any moment).
"""

from __future__ import annotations

import gc
import weakref
from collections import OrderedDict

from service.domain.errors import StreamNotFound
from service.log.records import RecordedEvent
from service.store.ports import EventStore

CACHE_SIZE = 20_000
PREFIX_EVENTS = 100_000  # decoded events kept by the read path, across streams


class FirstEvents:
    """The first event of recently used streams, least recently used dropped past `size`."""

    def __init__(self, store: EventStore, size: int = CACHE_SIZE) -> None:
        self._store = store
        self._size = size
        self._events: OrderedDict[str, RecordedEvent] = OrderedDict()

    def known(self, stream_id: str) -> bool:
        """Whether the stream is known to exist, without asking the store."""
        return stream_id in self._events

    async def get(self, stream_id: str) -> RecordedEvent | None:
        """The stream's first event, or None when it has none (yet)."""
        event = self._events.get(stream_id)
        if event is not None:
            self._events.move_to_end(stream_id)
            return event
        try:
            events = await self._store.read_stream(stream_id, 1, 1)
        except StreamNotFound:
            return None
        if not events:
            return None
        self._events[stream_id] = events[0]
        if len(self._events) > self._size:
            self._events.popitem(last=False)
        return events[0]


class Prefixes:
    """Decoded stream prefixes, least recently used dropped past `max_events` in all."""

    def __init__(self, store: EventStore, max_events: int = PREFIX_EVENTS) -> None:
        self._store = store
        self._max_events = max_events
        self._streams: OrderedDict[str, list[RecordedEvent]] = OrderedDict()
        self._size = 0

    async def read(self, stream_id: str) -> list[RecordedEvent]:
        """Every event of the stream now (a fresh list); StreamNotFound when it has none."""
        cached = self._streams.get(stream_id, [])  # never changed in place: replaced
        tail = await self._store.read_stream(stream_id, len(cached) + 1)
        gc_was_enabled = gc.isenabled()
        gc.disable()  # decoding makes many long-lived objects and no cycles: skip the scans
        try:
            for event in tail:
                event.data  # noqa: B018 - decode once, here, for every later reader
        finally:
            if gc_was_enabled:
                gc.enable()
        events = cached + tail
        current = self._streams.get(stream_id)  # another reader may have gone further
        if current is None or len(current) <= len(events):
            self._keep(stream_id, events)
        else:
            self._streams.move_to_end(stream_id)
        return list(events)

    def _keep(self, stream_id: str, events: list[RecordedEvent]) -> None:
        old = self._streams.pop(stream_id, [])
        self._size += len(events) - len(old)
        self._streams[stream_id] = events
        while self._size > self._max_events and len(self._streams) > 1:
            _, dropped = self._streams.popitem(last=False)
            self._size -= len(dropped)


_BY_STORE: weakref.WeakKeyDictionary[EventStore, FirstEvents] = weakref.WeakKeyDictionary()


def first_events(store: EventStore) -> FirstEvents:
    """The first-event cache of this store (one per store object, gone with it)."""
    cache = _BY_STORE.get(store)
    if cache is None:
        cache = _BY_STORE[store] = FirstEvents(store)
    return cache


_PREFIXES: weakref.WeakKeyDictionary[EventStore, Prefixes] = weakref.WeakKeyDictionary()


def prefixes(store: EventStore) -> Prefixes:
    """The prefix cache of this store (one per store object, gone with it)."""
    cache = _PREFIXES.get(store)
    if cache is None:
        cache = _PREFIXES[store] = Prefixes(store)
    return cache
