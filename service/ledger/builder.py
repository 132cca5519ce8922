"""Follows the log and extends the Merkle tree after commit, one transaction per batch.

Appends never wait for this: the tree trails the log by at most one batch plus a wake-up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from service.domain.records import RecordedEvent, leaf_hash
from service.ledger.tree_store import TreeStore
from service.store.ports import EventStore

log = logging.getLogger(__name__)


def contiguous_leaves(size: int, events: Sequence[RecordedEvent]) -> list[bytes]:
    """Leaf hashes of the events at positions size+1, size+2, ...; stops at the first gap."""
    leaves = []
    for expected, event in enumerate(events, start=size + 1):
        if event.position != expected:
            log.warning("log gap: expected position %d, read %d", expected, event.position)
            break
        leaves.append(leaf_hash(event.canonical))
    return leaves


async def build_once(store: EventStore, tree: TreeStore, batch_size: int) -> int:
    """Add up to one batch of new events to the tree; the number of leaves added."""
    size = await tree.size()
    leaves = contiguous_leaves(size, await store.read_all(size, batch_size))
    if leaves and await tree.extend(size, leaves):
        return len(leaves)
    return 0


async def run_builder(
    store: EventStore, tree: TreeStore, *, batch_size: int, idle_seconds: float
) -> None:
    """Forever: catch up in batches, then wait for news; a database outage is logged and retried."""
    notifier = getattr(store, "notifier", None)  # PostgresStore wakes us on each commit
    delay = idle_seconds
    while True:
        waiter = notifier.waiter() if notifier else None
        try:
            added = await build_once(store, tree, batch_size)
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
        if notifier is not None and waiter is not None:
            await notifier.wait(waiter)
        else:
            await asyncio.sleep(idle_seconds)
