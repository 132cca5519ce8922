"""The projector's part of `pledger serve`: a runner that leads when it holds the lock."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from service.config import Settings
from service.projections.leader import ProjectorRunner
from service.store.ports import EventStore

log = logging.getLogger(__name__)


def projector_background(
    settings: Settings,
) -> Callable[[EventStore, Any], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def projector(store: EventStore, pool: Any) -> AsyncIterator[None]:
        if pool is None or not settings.database_url:
            log.warning("the projector needs PostgreSQL; not running it")
            yield
            return
        runner = ProjectorRunner(
            store,
            settings.database_url,
            role=settings.db_role,
            batch_size=settings.projector_batch_size,
            cache_bytes=settings.projector_cache_mb * 2**20,
            linger_seconds=settings.projector_linger_seconds,
            poll_interval=settings.poll_interval_seconds,
        )
        task = asyncio.create_task(runner.run(), name="pledger-projector")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return projector
