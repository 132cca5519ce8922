"""The relay's part of `pledger serve`; only built when PLEDGER_NATS_URL is set."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from service.config import Settings
from service.ledger.signing import event_source
from service.relay.runner import RelayOptions, RelayRunner
from service.store.ports import EventStore

log = logging.getLogger(__name__)


def relay_options(settings: Settings) -> RelayOptions:
    assert settings.nats_url
    return RelayOptions(
        nats_url=settings.nats_url,
        stream=settings.nats_stream,
        subject_prefix=settings.nats_subject_prefix,
        source=event_source(settings),
        duplicate_window=settings.nats_duplicate_window_seconds,
        batch_size=settings.relay_batch_size,
        ack_timeout=settings.relay_ack_timeout_seconds,
        poll_interval=settings.poll_interval_seconds,
        role=settings.db_role,
    )


def relay_runner(store: EventStore, dsn: str, settings: Settings) -> RelayRunner:
    return RelayRunner(store, dsn, relay_options(settings))


def relay_background(
    settings: Settings,
) -> Callable[[EventStore, Any], AbstractAsyncContextManager[None]]:
    """Built only when PLEDGER_NATS_URL is set (see service/app.py)."""
    relay_options(settings)  # a bad signing key or setting stops start-up now, not later

    @asynccontextmanager
    async def relay(store: EventStore, pool: Any) -> AsyncIterator[None]:
        if pool is None or not settings.database_url:
            log.warning("the relay needs PostgreSQL; not running it")
            yield
            return
        runner = relay_runner(store, settings.database_url, settings)
        task = asyncio.create_task(runner.run(), name="pledger-relay")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return relay
