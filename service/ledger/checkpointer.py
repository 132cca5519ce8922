"""Signs a checkpoint of the stored tree every N new events or T seconds, never re-signing one."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from service.ledger.alarms import LedgerAlarms
from service.ledger.checkpoint import Checkpoint, SigningKey
from service.ledger.tree_store import StoredCheckpoint, TreeStore

log = logging.getLogger(__name__)


class ForkedTree(RuntimeError):
    """The stored tree no longer has the root of a checkpoint already signed."""


def due(
    size: int, last: StoredCheckpoint | None, now: datetime, every_events: int, every_seconds: float
) -> bool:
    if size == 0 or (last is not None and size <= last.tree_size):
        return False
    if last is None:
        return True
    elapsed = (now - last.signed_at).total_seconds()
    return size - last.tree_size >= every_events or elapsed >= every_seconds


async def checkpoint_once(
    tree: TreeStore,
    key: SigningKey,
    origin: str,
    *,
    every_events: int,
    every_seconds: float,
) -> StoredCheckpoint | None:
    """Sign the current tree if a checkpoint is due; the new checkpoint, else None."""
    last = await tree.latest_checkpoint()
    size = await tree.size()
    if not due(size, last, datetime.now(UTC), every_events, every_seconds):
        return None
    if last is not None and await tree.root(last.tree_size) != last.root_hash:
        # Signing on top of a rewritten tree would vouch for the rewrite.
        raise ForkedTree(f"the stored tree no longer matches checkpoint {last.tree_size}")
    root = await tree.root(size)
    note = key.sign(Checkpoint(origin, size, root).body())
    if not await tree.add_checkpoint(size, root, note):
        return None
    log.info("signed checkpoint: tree size %d, root %s", size, root.hex())
    return await tree.latest_checkpoint()


async def run_checkpointer(
    tree: TreeStore,
    key: SigningKey,
    origin: str,
    *,
    every_events: int,
    every_seconds: float,
    alarms: LedgerAlarms | None = None,
) -> None:
    """Forever: check a few times per interval; outages are logged and retried. A fork (and so
    a refused signing) and an overdue checkpoint raise alarms until they are over."""
    alarms = alarms if alarms is not None else LedgerAlarms()
    tick = min(every_seconds, 1.0)
    while True:
        try:
            await checkpoint_once(
                tree, key, origin, every_events=every_events, every_seconds=every_seconds
            )
            alarms.clear("fork")
            alarms.clear("signing_refused")
            await _check_overdue(tree, alarms, every_seconds)
        except asyncio.CancelledError:
            raise
        except ForkedTree as e:
            alarms.set("fork", f"{e}; run `pledger verify`")
            alarms.set("signing_refused", "no checkpoint is signed on top of a rewritten tree")
        except Exception:  # noqa: BLE001 - a long-running loop: log and try again
            log.exception("checkpointer failed; retrying")
        await asyncio.sleep(tick)


async def _check_overdue(tree: TreeStore, alarms: LedgerAlarms, every_seconds: float) -> None:
    """Alarm when events wait for a checkpoint far longer than the schedule says."""
    last = await tree.latest_checkpoint()
    if last is None or await tree.size() <= last.tree_size:
        alarms.clear("checkpoint_overdue")
        return
    age = (datetime.now(UTC) - last.signed_at).total_seconds()
    if age > OVERDUE_FACTOR * every_seconds + OVERDUE_GRACE_SECONDS:
        alarms.set(
            "checkpoint_overdue",
            f"the latest checkpoint (size {last.tree_size}) is {age:.0f}s old;"
            f" the schedule is every {every_seconds:g}s",
        )
    else:
        alarms.clear("checkpoint_overdue")


# A checkpoint is overdue at 3 intervals plus this: one slow round is not an alarm.
OVERDUE_FACTOR = 3
OVERDUE_GRACE_SECONDS = 30.0
