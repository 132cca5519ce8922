"""One active projector across processes: the holder of a session advisory lock leads.

Why the lock lives on the projector's own connection, and why the projector writes on it: a
session lock is released the moment its session ends (crash, kill, network loss), so a waiting
instance takes over within one poll; and since the leader's batches go through that same
session, a leader that lost its session cannot commit anything after its successor started.
The checkpoint row is also locked and compared in every batch, so even two writers could not
apply the same batch twice.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from service.projections.projector import Clock, Projector, utc_now
from service.projections.streams import CACHE_BYTES
from service.store.database import create_pool
from service.store.leadership import lead_forever, wait_for_lock
from service.store.ports import EventStore

log = logging.getLogger(__name__)

PROJECTOR_LOCK = 7_085_201_005  # held by the active projector for as long as it leads


class ProjectorRunner:
    """Waits for the lock, projects while it holds it, and starts over after any failure."""

    def __init__(
        self,
        store: EventStore,
        dsn: str,
        *,
        role: str = "",
        batch_size: int = 2000,
        cache_bytes: int = CACHE_BYTES,
        linger_seconds: float = 0.0,
        poll_interval: float = 1.0,
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.dsn = dsn
        self.role = role
        self.batch_size = batch_size
        self.cache_bytes = cache_bytes
        self.linger_seconds = linger_seconds
        self.poll_interval = poll_interval
        self.clock = clock
        self.leading = asyncio.Event()
        self.backend_pid: int | None = None  # the session holding (or waiting for) the lock
        self.projector: Projector | None = None

    async def run(self) -> None:
        """Forever; database outages and a lost lock session are logged, then retried."""
        await lead_forever("projector", self._session, self.leading, self.poll_interval)

    async def _session(self) -> None:
        pool = await create_pool(self.dsn, role=self.role, min_size=1, max_size=1, timeout=10)
        try:
            async with pool.acquire() as conn:
                self.backend_pid = conn.get_server_pid()
                await self._wait_for_lock(conn)
                log.info("projector leading (backend pid %s)", self.backend_pid)
                self.leading.set()
                self.projector = Projector(
                    self.store,
                    conn,
                    batch_size=self.batch_size,
                    cache_bytes=self.cache_bytes,
                    linger_seconds=self.linger_seconds,
                    idle_seconds=self.poll_interval,
                    clock=self.clock,
                )
                await self.projector.run()
        finally:
            pool.terminate()  # ends the session, and with it the lock, at once

    async def _wait_for_lock(self, conn: Any) -> None:
        await wait_for_lock(conn, PROJECTOR_LOCK, self.poll_interval)
