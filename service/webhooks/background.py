"""The deliverer's part of `pledger serve`: a runner that delivers when it holds the lock."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from typing import Any

from service.config import Settings
from service.store.ports import EventStore
from service.webhooks.leader import DelivererRunner
from service.webhooks.policy import RetryPolicy

log = logging.getLogger(__name__)


def policy_of(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        retry_for=timedelta(hours=settings.webhook_retry_hours),
        disable_after=timedelta(hours=settings.webhook_disable_after_hours),
    )


def deliverer_background(
    settings: Settings,
) -> Callable[[EventStore, Any], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def deliverer(store: EventStore, pool: Any) -> AsyncIterator[None]:
        if pool is None or not settings.database_url:
            log.warning("the webhook deliverer needs PostgreSQL; not running it")
            yield
            return
        runner = DelivererRunner(
            settings.database_url,
            role=settings.db_role,
            policy=policy_of(settings),
            timeout_seconds=settings.webhook_timeout_seconds,
            concurrency=settings.webhook_concurrency,
            poll_interval=settings.poll_interval_seconds,
        )
        task = asyncio.create_task(runner.run(), name="pledger-webhooks")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return deliverer
