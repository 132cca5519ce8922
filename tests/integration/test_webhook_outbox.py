"""The projector queues a status change for exactly the subscriptions it matches, in its batch
transaction; a due date passing is announced once, by the clock scan, at its instant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from service.log.records import parse_time
from service.projections.rebuild import rebuild
from service.projections.rows import TICK
from tests.integration.commitment_world import (
    Db,
    day,
    fold_now,
    make,
    own_database,
    post,
    projector_on,
)
from tests.support import unique
from tests.webhook_support import Clock, Receiver, deliverer_on, deliveries, subscribe


@pytest.fixture
async def db(server_dsn: str) -> AsyncIterator[Db]:
    """A database per test: the clock scan's progress is global to a database."""
    async with own_database(server_dsn) as db:
        yield db


async def catch_up(db: Db) -> None:
    async with projector_on(db) as projector:
        await projector.catch_up(await db.store.head_position())


async def test_each_change_is_queued_for_the_subscriptions_it_matches(db: Db) -> None:
    p, q, a = unique("p"), unique("q"), unique("a")
    c1, c2 = unique("c"), unique("c")
    hook = Receiver()
    subs = {
        "promisor": await subscribe(db.pool, hook, party=p),
        "promisee": await subscribe(db.pool, hook, party=q),
        "agreement": await subscribe(db.pool, hook, agreement=a),
        "commitment": await subscribe(db.pool, hook, commitment=c1),
        "schedule": await subscribe(db.pool, hook, party=p, changes=["schedule"]),
        "verdict": await subscribe(db.pool, hook, party=p, changes=["verdict"]),
        "other": await subscribe(db.pool, hook, party=unique("nobody")),
    }
    first = await make(db, c1, p, agreement=a, promisees=[q])
    second = await make(db, c2, p)
    await catch_up(db)
    assessment = {"type": "assessment_recorded", "assessor": "monitor", "verdict": "fulfilled",
                  "strength": "verified", "occurred_at": day(1)}  # fmt: skip
    assessed = await post(db, first, assessment)
    assert assessed is not None
    await catch_up(db)

    queued = {name: [d["data"] for d in await deliveries(db.pool, s["id"])]
              for name, s in subs.items()}  # fmt: skip
    ids = {name: [d["commitment_id"] for d in data] for name, data in queued.items()}
    assert ids == {
        "promisor": [c1, c2, c1], "promisee": [c1, c1], "agreement": [c1, c1],
        "commitment": [c1, c1], "schedule": [c1, c2], "verdict": [c1, c2, c1], "other": [],
    }  # fmt: skip
    made, changed = queued["commitment"]
    status = fold_now(first, parse_time(changed["at"]))
    assert status is not None and status.verdict == "fulfilled"
    assert made["old"] == {"verdict": None, "disputed": False, "schedule": None}
    assert changed["old"] == made["new"] and changed["old"]["verdict"] != "fulfilled"
    assert changed["new"] == {"verdict": "fulfilled", "disputed": False,
                              "schedule": status.schedule}  # fmt: skip
    assert changed["changed"] == ["verdict"] and changed["cause"] == "event"
    assert changed["position"] == assessed.position
    assert (changed["promisor"], changed["promisees"], changed["agreement"]) == (p, [q], a)
    assert second.id == c2


async def test_a_passing_due_date_is_announced_once_at_its_instant(db: Db) -> None:
    p = unique("p")
    hook = Receiver()
    sub = await subscribe(db.pool, hook, party=p, changes=["schedule"])
    c = await make(db, unique("c"), p, due_by=day(40))  # ten days ahead
    await catch_up(db)
    status = fold_now(c, datetime.now(UTC))
    assert status is not None and status.due_by is not None and status.schedule == "not_due"
    due_by = status.due_by
    clock = Clock()
    async with deliverer_on(db.pool, db.dsn, clock=clock) as deliverer:
        clock.to(due_by - timedelta(seconds=1))
        await deliverer.tick()
        switch = await deliverer.next_due()  # the deliverer wakes just after it
        assert switch is not None and due_by - timedelta(seconds=1) < switch <= due_by
        clock.to(switch)  # the stored step still shows not_due at its switch_at
        await deliverer.tick()
        assert len(await deliveries(db.pool, sub["id"])) == 1
        clock.advance(TICK)
        await deliverer.tick()
        for later in (timedelta(seconds=1), timedelta(days=3)):
            clock.advance(later)
            await deliverer.tick()
    made, switched = [d["data"] for d in await deliveries(db.pool, sub["id"])]
    assert made["new"]["schedule"] == "not_due"
    assert switched["old"] == made["new"] and switched["new"]["schedule"] == "overdue"
    assert switched["changed"] == ["schedule"] and switched["cause"] == "clock"
    assert parse_time(switched["at"]) == switch + TICK
    assert fold_now(c, switch + TICK).schedule == "overdue"  # type: ignore[union-attr]
    assert fold_now(c, switch).schedule == "not_due"  # type: ignore[union-attr]

    # The projector, whose clock is still ten days behind, folds a later event: it takes the
    # switch the scan announced as made, so only the verdict's own change is news.
    assessment = {"type": "assessment_recorded", "assessor": "monitor", "verdict": "fulfilled",
                  "strength": "verified", "occurred_at": day(29)}  # fmt: skip
    assert await post(db, c, assessment) is not None
    await catch_up(db)
    *_, met = [d["data"] for d in await deliveries(db.pool, sub["id"])]
    assert met["old"]["schedule"] == "overdue" and met["new"]["schedule"] == "met_on_time"
    assert len(await deliveries(db.pool, sub["id"])) == 3


async def test_a_rebuild_announces_nothing(db: Db) -> None:
    p = unique("p")
    sub = await subscribe(db.pool, Receiver(), party=p)
    await make(db, unique("c"), p)
    await catch_up(db)
    assert len(await deliveries(db.pool, sub["id"])) == 1
    report = await rebuild(db.store, db.dsn, role="pledger_app")
    assert report.generation == 2
    await catch_up(db)  # the live projector, now on the rebuilt generation
    assert len(await deliveries(db.pool, sub["id"])) == 1
