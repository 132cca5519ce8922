"""One follower of the log's head shared by every live reader: N idle streams cost one poll.

Each live stream used to follow the log on its own, so every NOTIFY (and every poll interval)
became one read per stream through the pool. The tail reads new events once, keeps the most
recent ones in a bounded buffer, and wakes every reader; a reader that is behind the buffer
pages through the store itself until it reaches it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from service.log.records import RecordedEvent
from service.store.ports import EventStore

log = logging.getLogger(__name__)


class LogTail:
    """The recent log in memory, from `first` to `head` (positions are gapless)."""

    def __init__(self, store: EventStore, *, keep: int = 2000) -> None:
        self._store = store
        self._keep = keep
        self._events: list[RecordedEvent] = []
        self.first = 0  # position of _events[0]; no events held while first > head
        self.head = -1  # -1: not started yet
        # One wake-up per filter: a stream of rare types is not woken by every other write.
        self._wakes: dict[frozenset[str] | None, asyncio.Event] = {}
        self._task: asyncio.Task[None] | None = None
        self._started = asyncio.Event()

    async def start(self) -> None:
        """Start following (once); returns when `head` is known."""
        if self._task is None:
            self._task = asyncio.create_task(self._follow(), name="pledger-log-tail")
        await self._started.wait()

    def waiter(self, types: Sequence[str] | None = None) -> asyncio.Event:
        """Take this before looking; it is set by the next event of one of `types` (any type
        when None)."""
        key = frozenset(types) if types else None
        wake = self._wakes.get(key)
        if wake is None:
            wake = self._wakes[key] = asyncio.Event()
        return wake

    def after(self, position: int, types: Sequence[str] | None, limit: int) -> list[RecordedEvent]:
        """Held events after `position` (which must be >= first - 1), at most `limit`."""
        start = max(position - self.first + 1, 0)
        found: list[RecordedEvent] = []
        for event in self._events[start:]:
            if types is None or event.type in types:
                found.append(event)
                if len(found) == limit:
                    break
        return found

    def holds(self, position: int) -> bool:
        """Whether every event after `position` is held here (or not written yet)."""
        return self.head >= 0 and position >= self.first - 1

    async def _follow(self) -> None:
        head = await self._start_head()
        self.first, self.head = head + 1, head
        self._started.set()
        while True:
            try:
                async for event in self._store.subscribe(self.head):
                    self._add(event)
            except Exception:  # noqa: BLE001 - a long-running loop: log, then follow again
                log.exception("live tail failed; following again from %d", self.head)
                await asyncio.sleep(1.0)

    def _add(self, event: RecordedEvent) -> None:
        self._events.append(event)
        self.head = event.position
        if len(self._events) > 2 * self._keep:
            # Trim in steps, not per event: a slice copy per append would cost O(keep).
            drop = len(self._events) - self._keep
            self._events = self._events[drop:]
            self.first += drop
        # Halfway to the next trim every filter is woken, so that a stream whose types are not
        # being written moves its position on while it is still held here, and never has to
        # read from the database to pass over events it does not want.
        everyone = len(self._events) == self._keep + self._keep // 2
        for key in [k for k in self._wakes if everyone or k is None or event.type in k]:
            self._wakes.pop(key).set()

    async def _start_head(self) -> int:
        delay = 0.1
        while True:
            try:
                return await self._store.head_position()
            except Exception as e:  # noqa: BLE001 - the database may be down; keep trying
                log.warning("live tail cannot read the head, retrying in %.1fs: %s", delay, e)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
