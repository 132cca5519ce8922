"""One LISTEN connection per store that wakes every subscriber; polling covers lost notices."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import asyncpg

from service.log.records import RecordedEvent

log = logging.getLogger(__name__)


class Notifier:
    """Wakes waiters on NOTIFY, on a local append, or after `poll_interval` at the latest.

    The listener connection is (re)opened in the background; while it is down, waiters still
    wake every poll interval, so a dropped connection delays delivery but never stops it.
    """

    def __init__(self, dsn: str | None, channel: str, *, poll_interval: float = 1.0) -> None:
        self._dsn = dsn
        self._channel = channel
        self._poll_interval = poll_interval
        self._event = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()
        self._closed = False

    def waiter(self) -> asyncio.Event:
        """Take this before reading; waiting on it afterwards cannot miss a wake in between."""
        self._ensure_listening()
        return self._event

    def wake(self, *_: Any) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait(self, waiter: asyncio.Event) -> None:
        # Not asyncio.wait_for: on Python 3.11 it swallows a cancellation that arrives as the
        # event is set, and a subscriber (an SSE stream at shutdown) then never stops.
        task = asyncio.ensure_future(waiter.wait())
        try:
            await asyncio.wait({task}, timeout=self._poll_interval)
        finally:
            task.cancel()

    def _ensure_listening(self) -> None:
        if self._dsn and not self._closed and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._listen(), name="pledger-listener")

    async def _listen(self) -> None:
        delay = 0.1
        while True:
            try:
                conn = await asyncpg.connect(self._dsn, timeout=5)
            except (OSError, asyncpg.PostgresError, TimeoutError) as e:
                log.warning("listener cannot connect, retrying in %.1fs: %s", delay, e)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            delay = 0.1
            lost = asyncio.Event()
            try:
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(self._channel, self.wake)
                self.connected.set()
                self.wake()  # anything committed while we were not listening
                await lost.wait()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
                log.warning("listener connection lost: %s", e)
            finally:
                self.connected.clear()
                if not conn.is_closed():
                    conn.terminate()

    async def close(self) -> None:
        self._closed = True  # a subscriber still running must not open a new listener
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


ReadPage = Callable[[int, int, Sequence[str] | None], Awaitable[list[RecordedEvent]]]


async def follow(
    read_page: ReadPage,
    notifier: Notifier,
    after_position: int,
    types: Sequence[str] | None,
    page: int,
) -> AsyncIterator[RecordedEvent]:
    """Catch up page by page, then follow: each wait ends on a wake-up or a poll."""
    position = after_position
    while True:
        wake = notifier.waiter()  # taken before reading, so no append between is missed
        events = await read_page(position, page, types)
        for event in events:
            position = event.position
            yield event
        if len(events) < page:
            await notifier.wait(wake)
