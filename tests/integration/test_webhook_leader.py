"""Deliverers as `pledger serve` runs them: two on one database, one leads, killing it mid-stream
hands over and the receiver gets every notification (a message twice at most when it was in
flight at the kill); a due date passing is announced by the running deliverer."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from service.log.records import format_time, parse_time
from service.webhooks.leader import DelivererRunner
from tests.integration.commitment_world import Db, day, make, own_database, running
from tests.support import unique, wait_for
from tests.webhook_support import deliveries, receiving, subscribe

Task = asyncio.Task[None]


@asynccontextmanager
async def runner_task(db: Db, concurrency: int) -> AsyncIterator[tuple[DelivererRunner, Task]]:
    runner = DelivererRunner(
        db.dsn, role="pledger_app", poll_interval=0.05, concurrency=concurrency
    )
    task = asyncio.create_task(runner.run())
    try:
        yield runner, task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_killed_deliverer_hands_over_without_losing_a_notification(
    server_dsn: str,
) -> None:
    concurrency = 4
    async with own_database(server_dsn) as db, receiving() as hook:
        p = unique("p")
        sub = await subscribe(db.pool, hook, party=p)
        async with running(db), runner_task(db, concurrency) as (first, first_task):
            await wait_for(first.leading.is_set)
            async with runner_task(db, concurrency) as (second, _):
                for _ in range(20):
                    await make(db, unique("c"), p)
                await wait_for(lambda: len(hook.verified) >= 5)
                first_task.cancel()  # the leader dies mid-stream
                with contextlib.suppress(asyncio.CancelledError):
                    await first_task
                await wait_for(second.leading.is_set)
                for _ in range(20):
                    await make(db, unique("c"), p)
                await wait_for(lambda: len(hook.verified) == 40, timeout=30)

                async def all_recorded() -> bool:
                    queued = await deliveries(db.pool, sub["id"])
                    return len(queued) == 40 and {d["state"] for d in queued} == {"delivered"}

                await wait_for(all_recorded)  # the last attempts' outcomes are being written
        queued = await deliveries(db.pool, sub["id"])
        assert set(hook.verified) == {str(d["message_id"]) for d in queued}
        assert hook.rejected == [] and 40 <= hook.posts <= 40 + concurrency


async def test_the_running_deliverer_announces_a_due_date_when_it_passes(server_dsn: str) -> None:
    async with own_database(server_dsn) as db, receiving() as hook:
        p = unique("p")
        await subscribe(db.pool, hook, party=p, changes=["schedule"])
        async with running(db) as projector, runner_task(db, 4) as (deliverer, _):
            await wait_for(lambda: projector.leading.is_set() and deliverer.leading.is_set())
            due_by = datetime.now(UTC) + timedelta(seconds=4)  # projected well before it
            c = await make(db, unique("c"), p, made_at=day(0), due_by=format_time(due_by))
            await wait_for(lambda: len(hook.verified) == 2, timeout=30)
        made, switched = sorted(hook.payloads(), key=lambda d: d["cause"] == "clock")
        assert made["commitment_id"] == switched["commitment_id"] == c.id
        assert made["new"]["schedule"] == "not_due" and switched["cause"] == "clock"
        assert switched["new"]["schedule"] == "overdue" and parse_time(switched["at"]) <= due_by
        assert hook.rejected == []
