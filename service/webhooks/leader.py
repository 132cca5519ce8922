"""One active deliverer across processes: the holder of a session advisory lock delivers.

As with the projector (service/projections/leader.py), the lock is released the moment its
session ends, so a waiting instance takes over within a poll. A deposed leader's attempts in
flight may still land, and its successor may post the same message again: delivery is
at-least-once, and receivers de-duplicate on webhook-id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from datetime import datetime
from typing import Any

import aiohttp

from service.store.database import create_pool
from service.store.leadership import lead_forever, wait_for_lock
from service.webhooks import outbox
from service.webhooks.deliverer import Clock, Deliverer, utc_now
from service.webhooks.policy import RetryPolicy

log = logging.getLogger(__name__)

DELIVERER_LOCK = 7_085_201_008  # held by the active deliverer for as long as it leads


class DelivererRunner:
    """Waits for the lock, delivers while it holds it, and starts over after any failure."""

    def __init__(
        self,
        dsn: str,
        *,
        role: str = "",
        policy: RetryPolicy | None = None,
        timeout_seconds: float = 10.0,
        concurrency: int = 32,
        poll_interval: float = 1.0,
        clock: Clock = utc_now,
        rng: random.Random | None = None,
    ) -> None:
        self.dsn = dsn
        self.role = role
        self.policy = policy or RetryPolicy()
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds, connect=timeout_seconds)
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.clock = clock
        self.rng = rng
        self.leading = asyncio.Event()

    async def run(self) -> None:
        """Forever; database outages and a lost lock session are logged, then retried."""
        await lead_forever("deliverer", self._session, self.leading, self.poll_interval)

    async def _session(self) -> None:
        size = 1 + min(self.concurrency, 4)  # the leader's connection and the attempts' writes
        pool = await create_pool(self.dsn, role=self.role, min_size=1, max_size=size, timeout=10)
        try:
            async with pool.acquire() as conn, aiohttp.ClientSession(timeout=self.timeout) as http:
                await self._wait_for_lock(conn)
                log.info("webhook deliverer leading (backend pid %s)", conn.get_server_pid())
                self.leading.set()
                deliverer = Deliverer(pool, conn, http, policy=self.policy, clock=self.clock,
                                      rng=self.rng, concurrency=self.concurrency)  # fmt: skip
                try:
                    await self._deliver(conn, deliverer)
                finally:
                    await deliverer.cancel()
        finally:
            pool.terminate()  # ends the session, and with it the lock, at once

    async def _wait_for_lock(self, conn: Any) -> None:
        await wait_for_lock(conn, DELIVERER_LOCK, self.poll_interval)

    async def _deliver(self, conn: Any, deliverer: Deliverer) -> None:
        """Tick whenever deliveries are queued (NOTIFY), an attempt ends, or work falls due."""
        wake = asyncio.Event()

        def woken(*_: object) -> None:
            wake.set()

        await conn.add_listener(outbox.CHANNEL, woken)
        deliverer.on_done = wake.set
        try:
            while True:
                wake.clear()
                await deliverer.tick()
                wait = _seconds_until(await deliverer.next_due(), self.clock(), self.poll_interval)
                # asyncio.timeout, not wait_for: 3.11's wait_for can lose a cancellation that
                # races the event, and this loop would then outlive its task's cancel().
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await wake.wait()
        finally:
            if not conn.is_closed():  # a listener left behind would fail the release
                await conn.remove_listener(outbox.CHANNEL, woken)


def _seconds_until(due: datetime | None, now: datetime, longest: float) -> float:
    """Wake at the due instant, and at least every `longest` seconds (a lost NOTIFY, a clock)."""
    if due is None:
        return longest
    # Just past it: a schedule shows its new value once now > switch_at.
    return min(max((due - now).total_seconds() + 0.001, 0.0), longest)
