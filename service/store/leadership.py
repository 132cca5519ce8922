"""Leadership by a session advisory lock, shared by every worker one process at a time runs
(projector, relay, webhook deliverer): wait for the lock, and start over after any failure."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

MAX_BACKOFF = 10.0


async def lead_forever(
    name: str,
    session: Callable[[], Awaitable[None]],
    leading: asyncio.Event,
    poll_interval: float,
) -> None:
    """Run `session` again and again; a failure is logged and retried with backoff (soon again
    when the session had been leading). `leading` is cleared whenever a session ends."""
    delay = poll_interval
    while True:
        try:
            await session()
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - a long-running loop: log, back off, retry
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # a clean-up failed while we were being cancelled: still cancelled
            if leading.is_set():
                delay = poll_interval  # it was working: retry soon
            log.warning("%s session ended (%s: %s); retrying in %.1fs",
                        name, type(e).__name__, e, delay)  # fmt: skip
        finally:
            leading.clear()
        await asyncio.sleep(delay)
        delay = min(delay * 2, MAX_BACKOFF)


async def wait_for_lock(conn: Any, key: int, poll_interval: float) -> None:
    """Poll rather than block: a blocked call would hide a dead server until TCP notices."""
    while True:  # the state is the server's: no local event could announce it
        if await conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
            return
        await asyncio.sleep(poll_interval)
