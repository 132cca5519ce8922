"""Follows the log and extends the Merkle tree after commit, one transaction per batch.

Appends never wait for this: the tree trails the log by at most one batch plus a wake-up.
"""

from __future__ import annotations

import asyncio
import logging

from service.ledger.tree_store import TreeStore
from service.store.ports import EventStore

log = logging.getLogger(__name__)


async def build_once(tree: TreeStore, batch_size: int) -> int:
    """Add up to one batch of new events to the tree; the number of leaves added."""
    return await tree.extend_from_log(batch_size)


async def run_builder(
    store: EventStore,
    tree: TreeStore,
    *,
    batch_size: int,
    idle_seconds: float,
    settle_seconds: float = 0.05,
) -> None:
    """Forever: catch up in batches, then wait for news; a database outage is logged and retried.

    After a wake-up it lets `settle_seconds` pass before reading, so that under a stream of
    small appends it makes a few large batches rather than one transaction per commit: the
    appenders then keep the database to themselves (see docs/ledger.md, figures).
    """
    notifier = store.notifier  # wakes us on each commit, or after its poll interval
    delay = idle_seconds
    while True:
        waiter = notifier.waiter()
        try:
            added = await build_once(tree, batch_size)
            delay = idle_seconds
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a long-running loop: log, back off, try again
            log.exception("tree builder failed; retrying in %.1fs", delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
            continue
        if added == batch_size:
            continue
        await notifier.wait(waiter)
        await asyncio.sleep(settle_seconds)
