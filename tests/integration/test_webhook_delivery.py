"""The deliverer against a real receiver: every notification arrives signed after an outage,
retries back off exponentially for at least 24 hours, a failing endpoint is disabled and the
log says so. Time is a clock the test moves; nothing waits on the wall clock."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from service.webhooks import subscriptions
from service.webhooks.policy import RetryPolicy
from tests.integration.commitment_world import Db, assessed, make, own_database, projector_on
from tests.support import unique
from tests.webhook_support import (
    Clock,
    deliver_all,
    deliverer_on,
    deliveries,
    receiving,
    subscribe,
)


@pytest.fixture(scope="module")
async def db(server_dsn: str) -> AsyncIterator[Db]:
    async with own_database(server_dsn) as db:
        yield db


async def catch_up(db: Db) -> None:
    async with projector_on(db) as projector:
        await projector.catch_up(await db.store.head_position())


async def attempt_log(db: Db, subscription_id: str) -> list[dict[str, object]]:
    rows = await db.pool.fetch(
        "SELECT * FROM webhook_attempts WHERE subscription_id = $1 ORDER BY id", subscription_id
    )
    return [dict(r) for r in rows]


async def test_a_receiver_that_was_down_gets_every_notification_signed(db: Db) -> None:
    p = unique("p")
    async with receiving(up=False) as hook:
        sub = await subscribe(db.pool, hook, party=p)
        made = [await assessed(db, p, verdict) for verdict in ("fulfilled", "breached") * 3]
        await catch_up(db)
        clock = Clock()
        async with deliverer_on(db.pool, db.dsn, clock=clock) as deliverer:
            # One batch folded each commitment's two events: one change each, to its verdict.
            assert await deliver_all(deliverer) == 6
            for _ in range(3):  # still down for a while
                clock.advance(timedelta(minutes=20))
                await deliver_all(deliverer)
            assert hook.posts == 0
            await hook.up()
            clock.advance(timedelta(hours=3))
            assert await deliver_all(deliverer) == 6
        assert hook.rejected == [] and hook.posts == 6
        queued = await deliveries(db.pool, sub["id"])
        assert {d["state"] for d in queued} == {"delivered"}
        assert all(d["attempts"] >= 4 for d in queued)
        last = {d["commitment_id"]: d["new"]["verdict"] for d in hook.payloads()}
        assert last == {c.id: v for c, v in zip(made, ("fulfilled", "breached") * 3, strict=True)}
        outcomes = [a["outcome"] for a in await attempt_log(db, sub["id"])]
        assert outcomes.count("delivered") == 6 and outcomes.count("retrying") == 24


async def test_retries_back_off_with_jitter_for_at_least_a_day(db: Db) -> None:
    p = unique("p")
    policy = RetryPolicy()
    async with receiving() as hook:
        hook.status = 500
        sub = await subscribe(db.pool, hook, party=p)
        await make(db, unique("c"), p)
        await catch_up(db)
        clock = Clock()
        async with deliverer_on(db.pool, db.dsn, clock=clock, rng=random.Random(7)) as deliverer:
            while (await deliveries(db.pool, sub["id"]))[0]["state"] == "pending":
                assert await deliver_all(deliverer) == 1
                clock.to((await deliveries(db.pool, sub["id"]))[0]["next_attempt_at"])
        [delivery] = await deliveries(db.pool, sub["id"])
        log = await attempt_log(db, sub["id"])
        assert hook.rejected == [] and hook.posts == len(log) == delivery["attempts"]
        assert [a["attempt"] for a in log] == list(range(1, len(log) + 1))
        for a in log[:-1]:
            assert a["outcome"] == "retrying" and a["status_code"] == 500
            base = min(policy.first_delay * 2 ** (a["attempt"] - 1), policy.max_delay)
            assert base / 2 <= a["next_attempt_at"] - a["at"] <= base
        waits = [a["next_attempt_at"] - a["at"] for a in log[:-1]]
        assert len(set(waits)) == len(waits)  # jittered: no two alike
        assert log[-1]["outcome"] == "failed" and delivery["state"] == "failed"
        assert log[-1]["at"] - delivery["created_at"] >= timedelta(hours=24)
        assert log[-2]["at"] - delivery["created_at"] < timedelta(hours=24)


async def test_an_endpoint_failing_for_the_whole_period_is_disabled(db: Db) -> None:
    p = unique("p")
    policy = RetryPolicy(disable_after=timedelta(hours=1))
    async with receiving() as hook:
        hook.status = 503
        sub = await subscribe(db.pool, hook, party=p)
        await make(db, unique("c"), p)
        await catch_up(db)
        clock = Clock()
        async with deliverer_on(db.pool, db.dsn, clock=clock, policy=policy) as deliverer:
            for _ in range(50):
                if not await deliver_all(deliverer):
                    break
                clock.advance(timedelta(hours=2) + timedelta(minutes=1))
            async with db.pool.acquire() as conn:  # what GET /v1/webhooks/{id}[/deliveries] show
                shown = await subscriptions.get(conn, None, sub["id"])
                shown_log = await subscriptions.attempts(conn, None, sub["id"], None, 1)
            assert shown["state"] == "disabled" and "failed since" in shown["disabled_reason"]
            assert shown_log[0]["outcome"] == "endpoint_disabled"
            log = await attempt_log(db, sub["id"])
            assert log[-1]["outcome"] == "endpoint_disabled"
            assert log[-1]["at"] - log[0]["at"] >= timedelta(hours=1)
            assert {d["state"] for d in await deliveries(db.pool, sub["id"])} == {"failed"}
            # Later changes are not queued for it, and nothing more is posted to it.
            posts = hook.posts
            await make(db, unique("c"), p)
            await catch_up(db)
            clock.advance(timedelta(days=1))
            assert await deliver_all(deliverer) == 0
        assert len(await deliveries(db.pool, sub["id"])) == 1 and hook.posts == posts
