"""Test support for the read side: commitments written through the real decide functions into a
real PostgresStore, a database of its own, and the on-the-fly fold to compare the tables with."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from service.domain.commands import RegisterParty, parse_body
from service.domain.compliance import Parties, commitment_status
from service.domain.decide import (
    make_commitment,
    record_evidence,
    record_party_event,
    register_party,
)
from service.domain.errors import AlreadyExists, ValidationFailed
from service.domain.events import commitment_stream, party_stream
from service.domain.evidence import COMMITMENT, EVIDENCE, PARTY_EVENT
from service.domain.fold import NO_PARTIES
from service.domain.status import CommitmentStatus
from service.domain.tallies import agreement_compliance, party_compliance
from service.log.records import RecordedEvent, format_time
from service.projections.leader import ProjectorRunner
from service.projections.projector import Projector
from service.store.database import create_pool
from service.store.postgres import PostgresStore
from tests.conftest import drop_database, fresh_database
from tests.support import unique

SOURCE = {"title": "a report"}
# Days are counted from 30 days ago, so that about half of them lie in the future.
BASE = datetime.now(UTC).date() - timedelta(days=30)


def day(n: int) -> str:
    return (BASE + timedelta(days=n)).isoformat()


@dataclass
class Db:
    dsn: str
    pool: asyncpg.Pool
    store: PostgresStore


@asynccontextmanager
async def own_database(server_dsn: str) -> AsyncIterator[Db]:
    """A fresh, migrated database (a known-empty log), dropped afterwards."""
    dsn = await fresh_database(server_dsn, prefix="pledger_proj")
    pool = await create_pool(dsn, role="pledger_app", min_size=1, max_size=12, timeout=5)
    store = PostgresStore(pool, dsn, poll_interval=0.1)
    try:
        yield Db(dsn, pool, store)
    finally:
        await store.close()
        await pool.close()
        await drop_database(server_dsn, dsn)


@asynccontextmanager
async def projector_on(db: Db, **options: Any) -> AsyncIterator[Projector]:
    """A projector on a connection of its own (no leader lock: tests that need none)."""
    conn = await asyncpg.connect(db.dsn)
    try:
        yield Projector(db.store, conn, **options)
    finally:
        await conn.close()


@dataclass
class Commitment:
    id: str
    promisor: str
    promisees: list[str]
    agreement: str | None
    events: list[RecordedEvent] = field(default_factory=list)


async def make(db: Db, cid: str, promisor: str, **fields: Any) -> Commitment:
    """commitment_made through parse_body + make_commitment, appended with no_stream."""
    body = {"id": cid, "promisor": promisor, "promisees": ["q"], "text": "do it",
            "made_at": day(0), "source": SOURCE} | fields  # fmt: skip
    event = make_commitment([], parse_body(COMMITMENT, body))
    result = await db.store.append(commitment_stream(cid), [event], "no_stream")
    c = Commitment(cid, promisor, body["promisees"], body.get("agreement"))
    c.events.extend(result.events)
    return c


def written_by(by: str | None) -> dict[str, Any]:
    """The envelope of an event written by party `by` (None: a legacy event)."""
    return {} if by is None else {"metadata": {"recorded_by": by}}


async def post(
    db: Db, c: Commitment, body: dict[str, Any], by: str | None = None
) -> RecordedEvent | None:
    """An evidence body through record_evidence, written by `by`; None when the domain refuses
    it (422, or 409 for a second agreement)."""
    if body["type"] != "correction_recorded":
        body = {"source": SOURCE} | body
    try:
        command = parse_body(EVIDENCE, body)
        event = record_evidence(c.id, c.events, command, now=datetime.now(UTC), **written_by(by))
    except (ValidationFailed, AlreadyExists):
        return None
    result = await db.store.append(commitment_stream(c.id), [event], len(c.events))
    c.events.extend(result.events)
    return result.events[0]


async def post_party(
    db: Db,
    parties: dict[str, list[RecordedEvent]],
    party_id: str,
    body: dict[str, Any],
    by: str | None = None,
) -> RecordedEvent | None:
    """A party-stream body through record_party_event (the party registered first if need
    be), written by `by`; None when the domain refuses it."""
    stream = parties.setdefault(party_id, [])
    if not stream:
        event = register_party([], RegisterParty(id=party_id, name=party_id, kind="state"),
                               now=datetime.now(UTC))  # fmt: skip
        result = await db.store.append(party_stream(party_id), [event], "no_stream")
        stream.extend(result.events)
    if body["type"] != "correction_recorded":
        body = {"source": SOURCE} | body
    try:
        command = parse_body(PARTY_EVENT, body)
        event = record_party_event(
            party_id, stream, command, now=datetime.now(UTC), **written_by(by)
        )
    except (ValidationFailed, AlreadyExists):
        return None
    result = await db.store.append(party_stream(party_id), [event], len(stream))
    stream.extend(result.events)
    return result.events[0]


def fold_now(
    c: Commitment, now: datetime, parties: Parties = NO_PARTIES
) -> CommitmentStatus | None:
    return commitment_status(c.events, as_of=now, known_at=now, parties=parties)


def expected_row(status: CommitmentStatus) -> dict[str, Any]:
    """What list_current must answer for a commitment, from the on-the-fly fold."""
    return {
        "id": status.commitment,
        "promisor": status.promisor,
        "promisees": status.promisees,
        "agreement": status.agreement,
        "verdict": status.verdict,
        "basis": status.basis,
        "disputed": status.disputed,
        "schedule": status.schedule,
        "due_by": None if status.due_by is None else format_time(status.due_by),
        "last_position": status.last_position,
    }


def expected_party(
    commitments: list[Commitment], party: str, now: datetime, parties: Parties = NO_PARTIES
) -> dict[str, Any]:
    mine = (fold_now(c, now, parties) for c in commitments if c.promisor == party)
    return party_compliance(mine).to_json()


def expected_agreement(
    commitments: list[Commitment], agreement: str, now: datetime, parties: Parties = NO_PARTIES
) -> dict[str, Any]:
    mine = [fold_now(c, now, parties) for c in commitments if c.agreement == agreement]
    return agreement_compliance(mine).to_json()


async def assessed(db: Db, promisor: str, verdict: str, **fields: Any) -> Commitment:
    c = await make(db, unique("c"), promisor, **fields)
    body = {"type": "assessment_recorded", "assessor": "monitor", "verdict": verdict,
            "strength": "verified", "occurred_at": day(1)}  # fmt: skip
    assert await post(db, c, body) is not None
    return c


@contextlib.asynccontextmanager
async def running(db: Db, **options: Any) -> AsyncIterator[ProjectorRunner]:
    runner = ProjectorRunner(db.store, db.dsn, role="pledger_app", poll_interval=0.05, **options)
    task = asyncio.create_task(runner.run())
    try:
        yield runner
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
