"""Property: for random commitments and evidence by random writers, and dissolutions of their
parties (and corrections of them), written through the real decide functions and PostgresStore,
the projector's tables answer what the on-the-fly fold answers, also after a rebuild."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.domain.compliance import Parties
from service.log.records import RecordedEvent
from service.projections import queries
from service.projections.projector import Projector
from service.projections.rebuild import rebuild
from tests.integration.commitment_world import (
    BASE,
    Commitment,
    Db,
    day,
    expected_agreement,
    expected_party,
    expected_row,
    fold_now,
    make,
    own_database,
    post,
    post_party,
    projector_on,
)
from tests.support import unique

days = st.integers(min_value=0, max_value=60)  # day 30 is today
assessments = st.fixed_dictionaries(
    {
        "type": st.just("assessment_recorded"),
        "assessor": st.sampled_from(["a", "b", "c"]),
        "verdict": st.sampled_from(["in_progress", "fulfilled", "partially_fulfilled", "breached"]),
        "strength": st.sampled_from(["claimed", "reported", "verified"]),
        "early": st.integers(0, 40),
    }
)
conditions = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["condition_met", "condition_failed", "condition_waived"]),
        "condition": st.sampled_from(["x", "y"]),
    }
)
deadlines = st.builds(lambda d: {"type": "deadline_changed", "due_by": day(d)}, days)
closings = st.sampled_from([{"type": "withdrawn"}, {"type": "superseded", "by": "other"}])
corrections = st.builds(lambda i: {"type": "correction_recorded", "target": i}, st.integers(0, 20))
agreements = st.builds(lambda i: {"type": "change_agreed", "target": i}, st.integers(0, 20))
# On the party stream of the commitment's promisor (0) or one of its promisees (1, 2).
dissolutions = st.builds(lambda who: {"type": "party_dissolved", "party": who}, st.integers(0, 2))
party_corrections = st.builds(
    lambda who: {"type": "party_correction", "party": who}, st.integers(0, 2)
)
bodies = st.one_of(
    assessments, assessments, conditions, deadlines, closings, corrections, agreements,
    dissolutions, party_corrections,
)  # fmt: skip
# Who writes: None (a legacy event), the promisor, its first promisee, a monitor.
writers = st.sampled_from([None, "promisor", "promisee", "m"])
plans = st.fixed_dictionaries(
    {
        "promisor": st.integers(0, 2),
        "promisees": st.lists(st.integers(0, 2), min_size=1, max_size=2, unique=True),
        "agreement": st.sampled_from([None, 0, 1]),
        "made": st.integers(0, 45),
        "due": st.one_of(st.none(), days),
        "conditions": st.sampled_from([[], ["x"], ["x", "y"]]),
    }
)
# (which commitment, body, days after made_at): appended in list order, commitments interleaved.
worlds = st.tuples(
    st.lists(plans, min_size=1, max_size=5),
    st.lists(st.tuples(st.integers(0, 4), bodies, st.integers(0, 30), writers), max_size=30),
)


@pytest.fixture(scope="module")
async def db(server_dsn: str) -> AsyncIterator[Db]:
    async with own_database(server_dsn) as db:
        yield db


@pytest.fixture(scope="module")
async def projector(db: Db) -> AsyncIterator[Projector]:
    """One projector for the module, so that it continues batch after batch like the service.

    Its stream cache holds a few events (4 KiB), so streams are evicted, read again from the
    store and folded from what the cache lacks, batch after batch."""
    async with projector_on(db, batch_size=7, catch_up_pages=2, cache_bytes=4096) as projector:
        yield projector


async def write(
    db: Db, world: tuple[list[dict[str, Any]], list[Any]], parties: dict[str, list[RecordedEvent]]
) -> list[Commitment]:
    prefix = unique("w")
    made = []
    for i, plan in enumerate(world[0]):
        fields: dict[str, Any] = {
            "promisees": [f"{prefix}-q{n}" for n in plan["promisees"]],
            "made_at": day(plan["made"]),
        }
        if plan["agreement"] is not None:
            fields["agreement"] = f"{prefix}-a{plan['agreement']}"
        if plan["due"] is not None and plan["due"] >= plan["made"]:
            fields["due_by"] = day(plan["due"])
        if plan["conditions"]:
            fields["conditions"] = [{"id": c, "text": c} for c in plan["conditions"]]
        made.append(await make(db, f"{prefix}-c{i}", f"{prefix}-p{plan['promisor']}", **fields))
    for which, body, after, writer in world[1]:
        c = made[which % len(made)]
        by = {"promisor": c.promisor, "promisee": c.promisees[0]}.get(writer, writer)
        if body["type"] in ("party_dissolved", "party_correction"):
            await _party_step(db, parties, c, body, after, by)
        else:
            await post(db, c, _body(c, body, after), by)
    return made


async def _party_step(
    db: Db,
    parties: dict[str, list[RecordedEvent]],
    c: Commitment,
    body: dict[str, Any],
    after: int,
    by: str | None,
) -> None:
    """A dissolution of one of the commitment's parties, or a correction of one."""
    who = [c.promisor, *c.promisees][body["party"] % (1 + len(c.promisees))]
    if body["type"] == "party_dissolved":
        made_day = (datetime.fromisoformat(c.events[0].data["made_at"]).date() - BASE).days
        step = {"type": "party_dissolved", "occurred_at": day(made_day + after)}
        await post_party(db, parties, who, step, by)
        return
    dissolved = [e for e in parties.get(who, []) if e.type == "party_dissolved"]
    if dissolved:
        target = str(dissolved[after % len(dissolved)].event_id)
        step = {"type": "correction_recorded", "corrects": target, "reason": "wrong"}
        await post_party(db, parties, who, step, by)


def _body(c: Commitment, body: dict[str, Any], after: int) -> dict[str, Any]:
    made_day = (datetime.fromisoformat(c.events[0].data["made_at"]).date() - BASE).days
    body = dict(body)
    if body["type"] == "correction_recorded":
        target = c.events[body.pop("target") % len(c.events)]
        return body | {"corrects": str(target.event_id), "reason": "wrong"}
    if body["type"] == "change_agreed":
        target = c.events[body.pop("target") % len(c.events)]
        body["agrees"] = str(target.event_id)
    body["occurred_at"] = day(made_day + after)
    if body["type"] == "assessment_recorded":
        body["effective_at"] = day(made_day + after - body.pop("early"))
    return body


async def compare(db: Db, commitments: list[Commitment], parties: Parties) -> None:
    """Every commitment's row, each filter combination seen, and every tally, against the fold."""
    now = datetime.now(UTC)
    for promisor in sorted({c.promisor for c in commitments}):
        mine = [c for c in commitments if c.promisor == promisor]
        statuses = [s for s in (fold_now(c, now, parties) for c in mine) if s is not None]
        expected = sorted((expected_row(s) for s in statuses), key=lambda r: r["id"])
        assert await queries.list_current(db.pool, promisor=promisor, now=now) == expected
        ids = await queries.candidate_ids(db.pool, promisor=promisor)
        assert ids == sorted(c.id for c in mine)
        for verdict, basis, schedule in {
            (r["verdict"], r["basis"], r["schedule"]) for r in expected
        }:
            got = await queries.list_current(
                db.pool, promisor=promisor, verdict=verdict, basis=basis, schedule=schedule, now=now
            )
            key = (verdict, basis, schedule)
            assert got == [r for r in expected if (r["verdict"], r["basis"], r["schedule"]) == key]
        assert await queries.party_tally(db.pool, promisor, now) == expected_party(
            commitments, promisor, now, parties
        )
    for agreement in {c.agreement for c in commitments} - {None}:
        assert agreement is not None
        assert await queries.agreement_tally(db.pool, agreement, now) == expected_agreement(
            commitments, agreement, now, parties
        )


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds, rebuild_after=st.booleans())
async def test_tables_equal_the_fold(
    db: Db, projector: Projector, world: Any, rebuild_after: bool
) -> None:
    parties: dict[str, list[RecordedEvent]] = {}
    commitments = await write(db, world, parties)
    await projector.catch_up(await db.store.head_position())
    assert await queries.checkpoint(db.pool) == await db.store.head_position()
    await compare(db, commitments, parties)
    if rebuild_after:
        await rebuild(db.store, db.dsn, batch_size=5)
        await compare(db, commitments, parties)
