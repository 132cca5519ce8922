"""The in-process caches of immutable stream facts, against both stores."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from service.domain.errors import StreamNotFound
from service.store.cached import FirstEvents, Prefixes
from tests.support import new_event, unique


async def test_prefixes_read_only_the_tail_and_stay_complete(store: Any) -> None:
    stream = unique()
    cache = Prefixes(store, max_events=10)
    with pytest.raises(StreamNotFound):
        await cache.read(stream)
    await store.append(stream, [new_event(n=i) for i in range(3)], "no_stream")
    assert [e.version for e in await cache.read(stream)] == [1, 2, 3]
    await store.append(stream, [new_event(n=i) for i in range(4)], 3)
    reads = await asyncio.gather(*(cache.read(stream) for _ in range(5)))
    for events in reads:
        assert [e.version for e in events] == list(range(1, 8))
        assert [e.data["n"] for e in events] == [0, 1, 2, 0, 1, 2, 3]


async def test_prefixes_evict_the_least_recently_used(store: Any) -> None:
    cache = Prefixes(store, max_events=4)
    first, second = unique(), unique()
    await store.append(first, [new_event(n=i) for i in range(3)], "no_stream")
    await store.append(second, [new_event(n=i) for i in range(3)], "no_stream")
    assert len(await cache.read(first)) == 3
    assert len(await cache.read(second)) == 3  # the first one goes
    await store.append(first, [new_event(n=9)], 3)
    assert [e.data["n"] for e in await cache.read(first)] == [0, 1, 2, 9]


async def test_first_events_cache_presence_never_absence(store: Any) -> None:
    stream = unique()
    cache = FirstEvents(store, size=1)
    assert await cache.get(stream) is None
    await store.append(stream, [new_event(n=1), new_event(n=2)], "no_stream")
    first = await cache.get(stream)
    assert first is not None and first.version == 1 and first.data == {"n": 1}
    assert await cache.get(stream) is first
    other = unique()
    await store.append(other, [new_event(n=5)], "no_stream")
    assert (await cache.get(other)).data == {"n": 5}  # evicts `stream`, which reloads
    assert (await cache.get(stream)).event_id == first.event_id
