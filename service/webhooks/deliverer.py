"""The deliverer: posts queued messages signed per Standard Webhooks and records each attempt.

One `tick` announces the schedule switches the clock has passed, then starts an attempt for
every due delivery not already in flight; each attempt writes its outcome when it ends, so a
slow endpoint holds up no other. Time comes from an injected clock (tests drive it), except
the signature's webhook-timestamp, which receivers check against their own wall clock.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from standardwebhooks import Webhook

from service.webhooks import outbox, queue
from service.webhooks.policy import RetryPolicy

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
USER_AGENT = "Pledger-Webhooks/1"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Deliverer:
    """Works on a pool (attempts write through it) and the leader's connection (the scan)."""

    def __init__(
        self,
        pool: Any,
        conn: Any,
        http: aiohttp.ClientSession,
        *,
        policy: RetryPolicy | None = None,
        clock: Clock = utc_now,
        rng: random.Random | None = None,
        batch: int = 200,
        concurrency: int = 32,
    ) -> None:
        self.pool = pool
        self.conn = conn
        self.http = http
        self.policy = policy or RetryPolicy()
        self.clock = clock
        self.rng = rng or random.Random()
        self.batch = batch
        self.slots = asyncio.Semaphore(concurrency)
        self.in_flight: dict[int, asyncio.Task[None]] = {}
        self.on_done: Callable[[], object] | None = None  # an attempt ended: its retry may be due

    async def tick(self) -> int:
        """Announce passed switches, start the due attempts; how many were started."""
        await outbox.announce_switches(self.conn, self.clock())
        due = await queue.due(self.conn, self.clock(), self.batch, list(self.in_flight))
        for d in due:
            task = asyncio.create_task(self._attempt(d), name=f"webhook-delivery-{d['id']}")
            self.in_flight[d["id"]] = task
            task.add_done_callback(functools.partial(self._done, d["id"]))
        return len(due)

    async def drain(self) -> None:
        """Wait for the attempts in flight to finish (and record their outcome)."""
        while self.in_flight:
            await asyncio.gather(*self.in_flight.values(), return_exceptions=True)

    async def cancel(self) -> None:
        for task in list(self.in_flight.values()):
            task.cancel()
        await asyncio.gather(*self.in_flight.values(), return_exceptions=True)

    async def next_due(self) -> datetime | None:
        """The earliest instant with work: a queued retry or a schedule switch to announce."""
        retry = await queue.next_attempt(self.conn, list(self.in_flight))
        found = [retry, await outbox.next_switch(self.conn)]
        return min((t for t in found if t is not None), default=None)

    def _done(self, key: int, _: asyncio.Task[None]) -> None:
        self.in_flight.pop(key, None)
        if self.on_done is not None:
            self.on_done()

    async def _attempt(self, d: Any) -> None:
        try:
            # The slot is held until the outcome is recorded: a deliverer killed now leaves at
            # most `concurrency` posts unrecorded, which its successor posts again.
            async with self.slots:
                outcome = await self._post(d)
                async with self.pool.acquire() as conn:
                    await queue.record(conn, d, outcome, self.clock(), self.policy, self.rng)
        except asyncio.CancelledError:
            raise
        except Exception:  # a task of a long-running loop: log; the delivery stays queued
            log.exception("webhook delivery %s: recording the attempt failed", d["id"])

    async def _post(self, d: Any) -> Outcome:
        message_id, body = str(d["message_id"]), d["payload"]
        signed_at = datetime.fromtimestamp(int(time.time()), UTC)
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": message_id,
            "webhook-timestamp": str(int(signed_at.timestamp())),
            "webhook-signature": Webhook(d["secret"]).sign(message_id, signed_at, body),
        }
        started = time.monotonic()
        try:
            async with self.http.post(
                d["url"], data=body.encode(), headers=headers, allow_redirects=False
            ) as response:
                await response.content.read(1024)  # a little of the body; the rest is ignored
                error = None if 200 <= response.status < 300 else f"HTTP {response.status}"
                return Outcome(response.status, error, _ms_since(started))
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as e:
            return Outcome(None, f"{type(e).__name__}: {e}"[:500], _ms_since(started))


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
