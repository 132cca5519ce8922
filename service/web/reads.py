"""What the pages read: the same folds as the API's as-of reads (service/commitments/queries.py),
gathered per page. Every answer is at one (as_of, known_at), so a page is one consistent view."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.commitments.queries import (
    all_created,
    history,
    load_commitment,
    load_parties,
    load_statuses,
    load_streams,
    status_of,
)
from service.domain import events as ev
from service.domain.compliance import Parties, commitment_status
from service.domain.errors import EntityNotFound
from service.domain.status import CommitmentStatus
from service.domain.tallies import party_compliance
from service.log.records import RecordedEvent, format_time, parse_time
from service.store.ports import EventStore

# Past this many dates, the verdict bands are folded at evenly spread dates rather than at every
# date an event or deadline names: a page stays bounded for a commitment with thousands of events.
MAX_BAND_DATES = 120


@dataclass(frozen=True, slots=True)
class Band:
    start: datetime
    end: datetime | None  # None: it holds on past the last date
    verdict: str


@dataclass(frozen=True, slots=True)
class CommitmentView:
    status: CommitmentStatus | None  # None: not made yet at as_of (or not known at known_at)
    made: dict[str, Any]  # the first commitment_made known at known_at, as recorded
    history: list[dict[str, Any]]  # every event known at known_at, corrected ones marked
    bands: list[Band]
    dates: list[datetime]  # the dates the commitment names, for the slider
    sampled: bool  # bands folded at spread dates, not every date


async def registered(store: EventStore, event_type: str) -> dict[str, dict[str, Any]]:
    """Parties or agreements by id, as registered."""
    return {str(e.data["id"]): e.data for e in await all_created(store, event_type)}


async def all_statuses(
    store: EventStore, as_of: datetime, known_at: datetime
) -> list[CommitmentStatus]:
    """Every commitment that exists at (as_of, known_at), by id."""
    made = await all_created(store, ev.COMMITMENT_MADE)
    ids = sorted({str(e.data["id"]) for e in made if e.recorded_at <= known_at})
    return [s for s in await load_statuses(store, ids, as_of, known_at) if s is not None]


async def commitment_view(
    store: EventStore, commitment_id: str, as_of: datetime, known_at: datetime
) -> CommitmentView:
    """404 when the ledger knew nothing of the commitment at known_at."""
    events, linked = await load_commitment(store, commitment_id)
    entries = history(events, known_at)
    made = next((e["data"] for e in entries if e["type"] == ev.COMMITMENT_MADE), None)
    if made is None:
        raise EntityNotFound("commitment", commitment_id)
    parties = await load_parties(store, [events, *linked.values()])
    status = status_of(events, linked, parties, as_of, known_at)
    dates = named_dates(entries)
    spread = spread_dates(dates)
    bands = verdict_bands(events, linked, parties, spread, known_at)
    return CommitmentView(status, made, entries, bands, dates, len(spread) < len(dates))


def named_dates(entries: Sequence[dict[str, Any]]) -> list[datetime]:
    """Every date the known events name (when they occurred, took effect, fall due), sorted."""
    found: set[datetime] = set()
    for entry in entries:
        found.add(parse_time(entry["occurred_at"]))
        data = entry["data"]
        for name in ("made_at", "effective_at", "due_by"):
            value = data.get(name)
            if isinstance(value, str):
                found.add(parse_day(value))
    return sorted(found)


def parse_day(text: str) -> datetime:
    from service.domain.timeparse import parse_time as parse_api_time

    try:
        return parse_api_time(text, "start")
    except ValueError:
        return parse_time(text)


def spread_dates(dates: Sequence[datetime]) -> list[datetime]:
    if len(dates) <= MAX_BAND_DATES:
        return list(dates)
    step = (len(dates) - 1) / (MAX_BAND_DATES - 1)
    return [dates[round(i * step)] for i in range(MAX_BAND_DATES)]


def verdict_bands(
    events: Sequence[RecordedEvent],
    linked: dict[str, list[RecordedEvent]],
    parties: Parties,
    dates: Sequence[datetime],
    known_at: datetime,
) -> list[Band]:
    """The verdict from each date to the next, as the ledger knew it at known_at."""
    points: list[tuple[datetime, str]] = []
    for moment in dates:
        status = status_of(events, linked, parties, moment, known_at)
        if status is not None and (not points or points[-1][1] != status.verdict):
            points.append((moment, status.verdict))
    ends: list[datetime | None] = [p[0] for p in points[1:]]
    ends.append(None)
    return [Band(start, end, verdict) for (start, verdict), end in zip(points, ends, strict=True)]


async def kept_over_time(
    store: EventStore, ids: Sequence[str], known_at: datetime
) -> list[tuple[datetime, float | None]]:
    """A party's kept_ratio at each date its commitments name (spread when there are many)."""
    streams = await load_streams(store, ids)
    parties = await load_parties(store, streams.values())
    entries = [
        {"occurred_at": format_time(e.occurred_at), "data": e.data}
        for events in streams.values()
        for e in events
        if e.recorded_at <= known_at
    ]
    points = []
    for moment in spread_dates(named_dates(entries)):
        statuses = (
            commitment_status(events, moment, known_at, parties=parties)
            for events in streams.values()
        )
        points.append((moment, party_compliance(statuses).kept_ratio))
    return points


def party_statuses(statuses: Sequence[CommitmentStatus], party: str) -> list[CommitmentStatus]:
    return [s for s in statuses if s.promisor == party]


def assessments_by(
    statuses: Sequence[CommitmentStatus], party: str
) -> list[tuple[CommitmentStatus, Any]]:
    """The effective assessments a party made of others' commitments, with the commitment."""
    return [
        (s, a)
        for s in statuses
        if s.promisor != party
        for a in s.assessments
        if a.assessor == party
    ]
