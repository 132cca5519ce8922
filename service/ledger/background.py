"""The ledger's background part for `pledger serve`: the tree builder and the checkpointer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from service.config import Settings
from service.ledger.alarms import LedgerAlarms
from service.ledger.builder import run_builder
from service.ledger.checkpointer import run_checkpointer
from service.ledger.signing import origin, signing_key
from service.ledger.tree_store import TreeStore
from service.store.ports import EventStore

log = logging.getLogger(__name__)


def ledger_background(
    settings: Settings,
) -> Callable[[EventStore, Any], AbstractAsyncContextManager[None]]:
    """Read the signing key now, so that a bad PLEDGER_SIGNING_KEY stops start-up at once."""
    key = signing_key(settings)
    if key is None:
        log.warning("PLEDGER_SIGNING_KEY is not set: the tree is kept, no checkpoint is signed")
    else:
        log.info("signing checkpoints for %s with key %s", origin(settings, key), key.verifier)
    alarms = LedgerAlarms()

    @asynccontextmanager
    async def ledger(store: EventStore, pool: Any) -> AsyncIterator[None]:
        if pool is None:
            log.warning("the ledger needs PostgreSQL; not running it")
            yield
            return
        tree = TreeStore(pool)
        tasks = [
            asyncio.create_task(
                alarms.repeat(settings.alarm_repeat_seconds), name="pledger-ledger-alarms"
            ),
            asyncio.create_task(
                run_builder(
                    store,
                    tree,
                    batch_size=settings.ledger_batch_size,
                    idle_seconds=settings.poll_interval_seconds,
                ),
                name="pledger-tree-builder",
            ),
        ]
        if key is not None:
            runner = run_checkpointer(
                tree,
                key,
                origin(settings, key),
                every_events=settings.checkpoint_every_events,
                every_seconds=settings.checkpoint_every_seconds,
                alarms=alarms,
            )
            tasks.append(asyncio.create_task(runner, name="pledger-checkpointer"))
        yield
        await _stop(tasks)

    # What /readyz shows: the composition root finds the alarms on the worker it is handed.
    setattr(ledger, "alarms", alarms)  # noqa: B010 - a function has no typed attributes
    return ledger


async def _stop(tasks: list[asyncio.Task[None]], timeout: float = 10.0) -> None:
    """Cancel the loops and wait for them, boundedly: a stuck task must not hang shutdown."""
    for task in tasks:
        task.cancel()
    done, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        log.error("%s did not stop within %.0fs", task.get_name(), timeout)
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s had failed", task.get_name(), exc_info=task.exception())
