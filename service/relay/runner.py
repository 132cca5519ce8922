"""One relay at a time: the holder of a session advisory lock follows the log into JetStream.

Where it resumes: after the stream's own last message when the stream holds one (its
`ce-position` header), else after the checkpoint row. So a relay killed between JetStream's ack
and the checkpoint write does not publish again what the stream already holds, however long it
was down; Nats-Msg-Id de-duplication is the second guard. The checkpoint row is written on the
lock's own session, only after the ack (see service/projections/leader.py for why the session).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import nats

from service.relay.jetstream import JetStreamLog, StreamMismatch, Tail
from service.store.database import create_pool
from service.store.leadership import lead_forever, wait_for_lock
from service.store.ports import EventStore

log = logging.getLogger(__name__)

RELAY_LOCK = 7_085_201_007  # held by the active relay for as long as it leads
NAME = "jetstream"


@dataclass(frozen=True)
class RelayOptions:
    nats_url: str
    stream: str
    subject_prefix: str
    source: str
    duplicate_window: float
    batch_size: int
    ack_timeout: float
    poll_interval: float
    role: str = ""


class RelayRunner:
    """Waits for the lock, relays while it holds it, and starts over after any failure."""

    def __init__(self, store: EventStore, dsn: str, options: RelayOptions) -> None:
        self.store = store
        self.dsn = dsn
        self.options = options
        self.leading = asyncio.Event()
        self.position = 0  # the last position JetStream acknowledged

    async def run(self) -> None:
        """Forever; outages of PostgreSQL or NATS are logged, then retried with backoff."""
        await lead_forever("relay", self._session, self.leading, self.options.poll_interval)

    async def _session(self) -> None:
        opts = self.options
        pool = await create_pool(self.dsn, role=opts.role, min_size=1, max_size=1, timeout=10)
        try:
            async with pool.acquire() as conn:
                await self._wait_for_lock(conn)
                nc = await nats.connect(
                    opts.nats_url, connect_timeout=5, max_reconnect_attempts=3, name="pledger-relay"
                )
                try:
                    target = JetStreamLog(
                        nc.jetstream(publish_async_max_pending=max(opts.batch_size, 1)),
                        stream=opts.stream,
                        prefix=opts.subject_prefix,
                        source=opts.source,
                        duplicate_window=opts.duplicate_window,
                        ack_timeout=opts.ack_timeout,
                    )
                    await target.ensure_stream()
                    log.info("relay leading: log -> JetStream stream %s", opts.stream)
                    self.leading.set()
                    await self._relay(conn, target)
                finally:
                    await nc.close()
        finally:
            pool.terminate()  # ends the session, and with it the lock, at once

    async def _wait_for_lock(self, conn: Any) -> None:
        await wait_for_lock(conn, RELAY_LOCK, self.options.poll_interval)

    async def _relay(self, conn: Any, target: JetStreamLog) -> None:
        tail = await target.tail()
        await self._check_tail(tail)
        position = tail.position or await _checkpoint(conn)
        seq, batch = tail.seq, self.options.batch_size
        self.position = position
        notifier = self.store.notifier  # wakes us on commit, or after its poll interval
        while True:
            waiter = notifier.waiter()
            events = await self.store.read_all(position, batch)
            if events:
                seq = await target.publish(events, seq)
                position = events[-1].position
                await _save_checkpoint(conn, position, seq)
                self.position = position
            if len(events) == batch:
                continue
            await notifier.wait(waiter)

    async def _check_tail(self, tail: Tail) -> None:
        """The stream's last event must be this log's: else it belongs to another database."""
        if not tail.position:
            return
        found = await self.store.read_all(tail.position - 1, 1)
        if not found or str(found[0].event_id) != tail.event_id:
            raise StreamMismatch(
                f"stream {self.options.stream} ends with event {tail.event_id} at position"
                f" {tail.position}, which this log does not hold"
            )


async def _checkpoint(conn: Any) -> int:
    value = await conn.fetchval("SELECT position FROM relay_checkpoints WHERE name = $1", NAME)
    return int(value or 0)


async def _save_checkpoint(conn: Any, position: int, stream_seq: int) -> None:
    await conn.execute(
        "INSERT INTO relay_checkpoints (name, position, stream_seq) VALUES ($1, $2, $3)"
        " ON CONFLICT (name) DO UPDATE SET position = excluded.position,"
        " stream_seq = excluded.stream_seq, updated_at = now()",
        NAME,
        position,
        stream_seq,
    )
