"""Filling the webhook outbox: from the projector's batch transaction, and from the clock scan.

Both compare a commitment's status with the last one announced (webhook_status_seen) and write
the change, its message and one delivery per matching subscription in the caller's
transaction, so a status change is announced exactly once and never for rows that rolled back.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from service.projections.rows import TICK, StatusRow
from service.webhooks.changes import (
    NOTHING,
    STATUS_CHANGED,
    Announced,
    Change,
    Subject,
    payload,
    scheduled,
)

CHANNEL = "pledger_webhooks"  # NOTIFY'd when deliveries are queued: the deliverer wakes up

SHARE_CLOCK_SQL = "SELECT scanned_until FROM webhook_clock FOR SHARE"
LOCK_CLOCK_SQL = "SELECT scanned_until FROM webhook_clock FOR UPDATE"
SET_CLOCK_SQL = "UPDATE webhook_clock SET scanned_until = $1"
ANY_ACTIVE_SQL = "SELECT EXISTS (SELECT 1 FROM webhook_subscriptions WHERE state = 'active')"
SEEN_SQL = """
SELECT commitment_id, verdict, disputed, schedule FROM webhook_status_seen
WHERE commitment_id = ANY($1::text[])
"""
SET_SEEN_SQL = """
INSERT INTO webhook_status_seen AS s (commitment_id, verdict, disputed, schedule)
SELECT * FROM unnest($1::text[], $2::text[], $3::bool[], $4::text[])
ON CONFLICT (commitment_id) DO UPDATE
SET verdict = excluded.verdict, disputed = excluded.disputed, schedule = excluded.schedule
"""
# One statement: the messages some active subscription wants, and a delivery for each pair.
# Both foreign keys are checked at the end of the statement, after both inserts.
ENQUEUE_SQL = """
WITH c AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::text[], $5::jsonb[], $6::text[])
        AS c(id, commitment, parties, agreement, kinds, payload)
), matched AS (
    SELECT c.id, s.id AS subscription_id FROM c JOIN webhook_subscriptions s
    ON s.state = 'active'
       AND (s.commitment IS NULL OR s.commitment = c.commitment)
       AND (s.agreement IS NULL OR s.agreement = c.agreement)
       AND (s.party IS NULL OR c.parties ? s.party)
       AND c.kinds ?| s.changes
), messages AS (
    INSERT INTO webhook_messages (id, type, payload, created_at)
    SELECT c.id, $7, c.payload, $8 FROM c WHERE c.id IN (SELECT id FROM matched)
), deliveries AS (
    INSERT INTO webhook_deliveries (subscription_id, message_id, created_at, next_attempt_at)
    SELECT subscription_id, id, $8, $8 FROM matched
    RETURNING 1
)
SELECT count(*) FROM deliveries
"""
SWITCHED_SQL = """
SELECT c.commitment_id, c.promisor, c.promisees, c.agreement, c.verdict, c.disputed,
       c.schedule_after, c.switch_at, c.last_position,
       s.commitment_id IS NOT NULL AS seen, s.verdict AS seen_verdict,
       s.disputed AS seen_disputed, s.schedule AS seen_schedule
FROM commitment_status_current c
JOIN projection_generations g ON g.name = 'commitments' AND c.generation = g.live
LEFT JOIN webhook_status_seen s ON s.commitment_id = c.commitment_id
WHERE c.switch_at >= $1 AND c.switch_at < $2 AND c.verdict IS NOT NULL
"""
NEXT_SWITCH_SQL = """
SELECT min(c.switch_at) FROM commitment_status_current c
JOIN projection_generations g ON g.name = 'commitments' AND c.generation = g.live
WHERE c.switch_at >= (SELECT scanned_until FROM webhook_clock) AND c.switch_at < 'infinity'
"""


async def announce_rows(conn: Any, rows: Sequence[StatusRow]) -> int:
    """In the projector's batch transaction: queue the changes its new rows make; how many
    deliveries. A switch the clock scan has already passed counts as made (see webhook_clock)."""
    if not rows:
        return 0
    scanned_until = await conn.fetchval(SHARE_CLOCK_SQL)
    found = await conn.fetch(SEEN_SQL, [r.commitment_id for r in rows])
    seen = {r["commitment_id"]: _seen(r) for r in found}
    changes = []
    for row in rows:
        new = _announced(row, max(row.folded_at, scanned_until))
        old = seen.get(row.commitment_id, NOTHING)
        if new != old:
            subject = Subject(row.commitment_id, row.promisor, row.promisees, row.agreement)
            changes.append(Change(subject, old, new, row.last_position, "event", row.folded_at))
    return await _record(conn, changes, rows[0].folded_at)


async def announce_switches(conn: Any, now: datetime) -> int:
    """The schedule switches the clock has passed since the last scan, announced once each;
    how many deliveries were queued. Runs its own transaction. A schedule shows `after` once
    now > switch_at, so the scan takes switch_at in [scanned_until, now)."""
    async with conn.transaction():
        scanned_until = await conn.fetchval(LOCK_CLOCK_SQL)
        if now <= scanned_until:
            return 0
        found = await conn.fetch(SWITCHED_SQL, scanned_until, now)
        changes = [c for c in map(_switched, found) if c.old != c.new]
        queued = await _record(conn, changes, now)
        await conn.execute(SET_CLOCK_SQL, now)
    return queued


async def next_switch(conn: Any) -> datetime | None:
    """When the clock scan next has something to announce."""
    found: datetime | None = await conn.fetchval(NEXT_SWITCH_SQL)
    return found


async def _record(conn: Any, changes: Sequence[Change], now: datetime) -> int:
    """Remember the announced statuses, queue what subscribers want, wake the deliverer."""
    if not changes:
        return 0
    await conn.execute(SET_SEEN_SQL, *_seen_arrays(changes))
    if not await conn.fetchval(ANY_ACTIVE_SQL):
        return 0  # nobody listens: spare a catch-up the payloads
    columns: list[list[Any]] = [[] for _ in range(6)]
    for change in changes:
        message_id = str(uuid.uuid4())
        s = change.subject
        values = (
            message_id, s.commitment_id, json.dumps([s.promisor, *s.promisees]), s.agreement,
            json.dumps(change.kinds), payload(change, message_id, now),
        )  # fmt: skip
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    queued = int(await conn.fetchval(ENQUEUE_SQL, *columns, STATUS_CHANGED, now))
    if queued:
        await conn.execute("SELECT pg_notify($1, '')", CHANNEL)  # sent at commit
    return queued


def _seen_arrays(changes: Sequence[Change]) -> list[list[Any]]:
    return [
        [c.subject.commitment_id for c in changes],
        [c.new.verdict for c in changes],
        [c.new.disputed for c in changes],
        [c.new.schedule for c in changes],
    ]


def _switched(r: Any) -> Change:
    """A row of SWITCHED_SQL: from what was announced to what it shows after its switch."""
    old = NOTHING
    if r["seen"]:
        old = Announced(r["seen_verdict"], r["seen_disputed"], r["seen_schedule"])
    new = Announced(r["verdict"], r["disputed"], r["schedule_after"])
    subject = Subject(r["commitment_id"], r["promisor"], list(r["promisees"]), r["agreement"])
    # The stored step shows `after` once now > switch_at: from one tick past it.
    return Change(subject, old, new, r["last_position"], "clock", r["switch_at"] + TICK)


def _seen(r: Any) -> Announced:
    return Announced(r["verdict"], r["disputed"], r["schedule"])


def _announced(row: StatusRow, at: datetime) -> Announced:
    if row.verdict is None or row.step is None:
        return NOTHING
    step = row.step
    schedule = scheduled(step.until, step.after, step.switch_at, at)
    return Announced(row.verdict, row.disputed, schedule)
