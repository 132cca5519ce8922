"""The delivery queue's SQL: what is due, and what an attempt's outcome does to the queue,
the subscription and the delivery log (one transaction per outcome)."""

from __future__ import annotations

import random
from datetime import datetime
from typing import TYPE_CHECKING, Any

from service.webhooks.policy import RetryPolicy

if TYPE_CHECKING:
    from service.webhooks.deliverer import Outcome

DUE_SQL = """
SELECT d.id, d.message_id, d.attempts, d.created_at, d.subscription_id, s.url, s.secret,
       m.payload
FROM webhook_deliveries d
JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.state = 'active'
JOIN webhook_messages m ON m.id = d.message_id
WHERE d.state = 'pending' AND d.next_attempt_at <= $1 AND d.id <> ALL($3::bigint[])
ORDER BY d.next_attempt_at, d.id LIMIT $2
"""
NEXT_SQL = """
SELECT min(d.next_attempt_at) FROM webhook_deliveries d
JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.state = 'active'
WHERE d.state = 'pending' AND d.id <> ALL($1::bigint[])
"""
# Only a delivery still pending is updated: one deleted meanwhile (its subscription gone) is not.
SET_DELIVERY_SQL = """
UPDATE webhook_deliveries SET state = $2, attempts = $3, next_attempt_at = $4
WHERE id = $1 AND state = 'pending' RETURNING id
"""
LOG_SQL = """
INSERT INTO webhook_attempts (subscription_id, message_id, attempt, at, outcome, status_code,
                              error, duration_ms, next_attempt_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
"""
SUCCEEDED_SQL = "UPDATE webhook_subscriptions SET failing_since = NULL WHERE id = $1"
FAILED_SQL = """
UPDATE webhook_subscriptions SET failing_since = coalesce(failing_since, $2)
WHERE id = $1 AND state = 'active' RETURNING failing_since
"""
DISABLE_SQL = """
UPDATE webhook_subscriptions SET state = 'disabled', disabled_at = $2, disabled_reason = $3
WHERE id = $1 AND state = 'active' RETURNING id
"""
DROP_PENDING_SQL = """
UPDATE webhook_deliveries SET state = 'failed' WHERE subscription_id = $1 AND state = 'pending'
"""


async def due(conn: Any, now: datetime, limit: int, in_flight: list[int]) -> list[Any]:
    """Pending deliveries of active subscriptions whose time has come, oldest first."""
    rows: list[Any] = await conn.fetch(DUE_SQL, now, limit, in_flight)
    return rows


async def next_attempt(conn: Any, in_flight: list[int]) -> datetime | None:
    found: datetime | None = await conn.fetchval(NEXT_SQL, in_flight)
    return found


async def record(
    conn: Any, d: Any, outcome: Outcome, now: datetime, policy: RetryPolicy, rng: random.Random
) -> None:
    """Delivered, retried later, or given up; the subscription disabled after sustained failure."""
    attempt = d["attempts"] + 1
    async with conn.transaction():
        if outcome.ok:
            state, next_at = "delivered", None
        elif policy.gives_up(d["created_at"], now):
            state, next_at = "failed", None
        else:
            state, next_at = "retrying", now + policy.delay(attempt, rng)
        queue_state = "pending" if state == "retrying" else state
        updated = await conn.fetchval(
            SET_DELIVERY_SQL, d["id"], queue_state, attempt, next_at or now
        )
        if updated is None:
            return  # its subscription was deleted meanwhile: nothing left to record
        sub = d["subscription_id"]
        await conn.execute(
            LOG_SQL, sub, d["message_id"], attempt, now, state, outcome.status_code,
            outcome.error, outcome.duration_ms, next_at,
        )  # fmt: skip
        if outcome.ok:
            await conn.execute(SUCCEEDED_SQL, sub)
            return
        failing_since = await conn.fetchval(FAILED_SQL, sub, now)
        if failing_since is not None and policy.disables(failing_since, now):
            await _disable(conn, sub, failing_since, now)


async def _disable(conn: Any, sub: Any, failing_since: datetime, now: datetime) -> None:
    """Stop posting to an endpoint that has failed every attempt for the policy's period."""
    reason = f"every delivery attempt failed since {failing_since.isoformat()}"
    if await conn.fetchval(DISABLE_SQL, sub, now, reason) is None:
        return
    await conn.execute(DROP_PENDING_SQL, sub)
    await conn.execute(LOG_SQL, sub, None, None, now, "endpoint_disabled", None, reason, None, None)
