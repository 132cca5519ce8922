"""Read use cases over the log: a commitment folded at (as_of, known_at), its history, lookups.

These fold the streams on the fly with the pure rules of service/domain, so they answer for any
(V, K); the projector's read tables answer the current state faster (service/projections/).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from service.domain import events as ev
from service.domain.compliance import Parties, commitment_status, corrected_ids, verdict_lookup
from service.domain.errors import EntityNotFound, StreamNotFound
from service.domain.status import CommitmentStatus, TimelineEntry
from service.domain.tallies import timeline
from service.log.records import RecordedEvent, format_time
from service.store.cached import prefixes
from service.store.errors import translate_db_errors
from service.store.ports import EventStore

PAGE = 1000


async def read_stream(store: EventStore, stream_id: str) -> list[RecordedEvent]:
    """Every event of a stream, decoded prefixes kept in process (service/store/cached.py);
    [] when it does not exist."""
    try:
        with translate_db_errors():
            return await prefixes(store).read(stream_id)
    except StreamNotFound:
        return []


def linked_ids(events: Iterable[RecordedEvent]) -> list[str]:
    """Commitments named by this commitment's conditions (any commitment_made it holds)."""
    ids = {
        c["commitment"]
        for e in events
        if e.type == ev.COMMITMENT_MADE
        for c in e.data.get("conditions", [])
        if "commitment" in c
    }
    return sorted(ids)


async def load_streams(store: EventStore, ids: Sequence[str]) -> dict[str, list[RecordedEvent]]:
    streams = await asyncio.gather(*(read_stream(store, ev.commitment_stream(i)) for i in ids))
    return dict(zip(ids, streams, strict=True))


async def load_commitment(
    store: EventStore, commitment_id: str
) -> tuple[list[RecordedEvent], dict[str, list[RecordedEvent]]]:
    """The commitment's events and those of the commitments its conditions link to."""
    events = await read_stream(store, ev.commitment_stream(commitment_id))
    return events, await load_streams(store, linked_ids(events))


async def load_parties(
    store: EventStore, streams: Iterable[Iterable[RecordedEvent]]
) -> dict[str, list[RecordedEvent]]:
    """The streams of every promisor and promisee the given commitment streams name (rules v2
    read a party's dissolution from its stream)."""
    ids = sorted(
        {
            str(party)
            for events in streams
            for e in events
            if e.type == ev.COMMITMENT_MADE
            for party in (e.data["promisor"], *e.data["promisees"])
        }
    )
    found = await asyncio.gather(*(read_stream(store, ev.party_stream(i)) for i in ids))
    return dict(zip(ids, found, strict=True))


def status_of(
    events: Sequence[RecordedEvent],
    linked: Mapping[str, Sequence[RecordedEvent]],
    parties: Parties,
    as_of: datetime,
    known_at: datetime,
) -> CommitmentStatus | None:
    """The fold of loaded streams: the commitment's, its linked ones', its parties'."""
    lookup = verdict_lookup(linked, as_of, known_at, parties)
    return commitment_status(events, as_of, known_at, lookup, parties)


async def load_status(
    store: EventStore, commitment_id: str, as_of: datetime, known_at: datetime
) -> CommitmentStatus | None:
    """The rules at (as_of, known_at); None when the commitment does not exist then."""
    events, linked = await load_commitment(store, commitment_id)
    if not events:
        return None
    parties = await load_parties(store, [events, *linked.values()])
    return status_of(events, linked, parties, as_of, known_at)


async def load_statuses(
    store: EventStore, ids: Sequence[str], as_of: datetime, known_at: datetime
) -> list[CommitmentStatus | None]:
    """Several commitments folded at the same (as_of, known_at), read concurrently."""
    return list(await asyncio.gather(*(load_status(store, i, as_of, known_at) for i in ids)))


async def load_timeline(
    store: EventStore, commitment_id: str, as_of: datetime, known_at: datetime
) -> list[TimelineEntry]:
    """`pledger replay`: each event and the status right after it. 404 when never recorded."""
    events, linked = await load_commitment(store, commitment_id)
    if not events:
        raise EntityNotFound("commitment", commitment_id)
    parties = await load_parties(store, [events, *linked.values()])
    lookup = verdict_lookup(linked, as_of, known_at, parties)
    return timeline(events, as_of, known_at, lookup, parties)


def history(events: Sequence[RecordedEvent], known_at: datetime) -> list[dict[str, Any]]:
    """Every event recorded by known_at, in log order, with both times; a corrected event is kept
    and marked with the correction that names it (rule 1: corrections act by transaction time)."""
    known = [e for e in events if e.recorded_at <= known_at]
    corrected = corrected_ids(known, known_at)
    by = {e.data["corrects"]: str(e.event_id) for e in known if e.type == ev.CORRECTION_RECORDED}
    return [
        {
            "position": e.position,
            "version": e.version,
            "event_id": str(e.event_id),
            "type": e.type,
            "occurred_at": format_time(e.occurred_at),
            "recorded_at": format_time(e.recorded_at),
            "corrected": str(e.event_id) in corrected,
            "corrected_by": by.get(str(e.event_id)),
            "data": e.data,
            "metadata": e.metadata,
        }
        for e in sorted(known, key=lambda e: e.position)
    ]


async def load_history(
    store: EventStore, commitment_id: str, known_at: datetime
) -> list[dict[str, Any]]:
    """404 when the ledger held nothing of this commitment at known_at."""
    entries = history(await read_stream(store, ev.commitment_stream(commitment_id)), known_at)
    if not entries:
        raise EntityNotFound("commitment", commitment_id)
    return entries


async def first_event(store: EventStore, stream_id: str) -> RecordedEvent | None:
    """The event that created an entity (party, agreement, commitment), or None."""
    try:
        with translate_db_errors():
            events = await store.read_stream(stream_id, 1, 1)
    except StreamNotFound:
        return None
    return events[0] if events else None


async def created(
    store: EventStore, event_type: str, after: int = 0, limit: int = PAGE
) -> list[RecordedEvent]:
    """Creation events of one type in log order after a position (lists of parties, agreements)."""
    with translate_db_errors():
        return await store.read_all(after, limit, [event_type])


# The stream a creation event must stand in: the store is generic, and another writer may use
# the same type name elsewhere; only the domain's own streams count.
CREATION_STREAM = {
    ev.PARTY_REGISTERED: ev.party_stream,
    ev.AGREEMENT_RECORDED: ev.agreement_stream,
    ev.COMMITMENT_MADE: ev.commitment_stream,
}


def is_creation(event: RecordedEvent) -> bool:
    """Whether an event is a creation event in its entity's own stream (and so well formed)."""
    stream_of = CREATION_STREAM.get(event.type)
    entity_id = event.data.get("id")
    return (
        stream_of is not None
        and isinstance(entity_id, str)
        and (event.stream_id == stream_of(entity_id))
    )


async def all_created(store: EventStore, event_type: str, after: int = 0) -> list[RecordedEvent]:
    """Every creation event of a type after a position: the log scan behind lists when no read
    tables exist, and behind the read tables' checkpoint when they do."""
    found: list[RecordedEvent] = []
    while True:
        page = await created(store, event_type, after)
        found.extend(e for e in page if is_creation(e))
        if len(page) < PAGE:
            return found
        after = page[-1].position


async def candidates_from_log(
    store: EventStore,
    *,
    promisor: str | None = None,
    promisee: str | None = None,
    agreement: str | None = None,
    after: int = 0,
) -> list[str]:
    """Ids of commitments made after a position whose creation matches, scanning the log."""
    ids = set()
    for made in await all_created(store, ev.COMMITMENT_MADE, after):
        data = made.data
        if (
            (promisor is None or data["promisor"] == promisor)
            and (promisee is None or promisee in data["promisees"])
            and (agreement is None or data.get("agreement") == agreement)
        ):
            ids.add(str(data["id"]))
    return sorted(ids)
