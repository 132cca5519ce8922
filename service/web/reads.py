"""What the pages read: the same folds as the API's as-of reads (service/commitments/queries.py),
gathered per page. Every answer is at one (as_of, known_at), so a page is one consistent view."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
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
from service.domain.compliance import Parties
from service.domain.errors import EntityNotFound
from service.domain.status import CommitmentStatus
from service.log.records import RecordedEvent, format_time
from service.store.ports import EventStore
from service.web.memo import Memo
from service.web.over_time import (
    Band,
    kept_points,
    named_dates,
    spread_dates,
    verdict_bands,
)

# The event list shows this many events, those up to as_of first: a commitment with thousands of
# events stays a page a person can read (and the server can draw in bounded time).
WINDOW = 60


@dataclass(frozen=True, slots=True)
class Known:
    """What the ledger knew of a commitment at known_at, as the pages draw it. It does not depend
    on as_of, so it is memoised by the known events' positions (service/web/memo.py)."""

    made: dict[str, Any]  # the first commitment_made known, as recorded
    history: list[dict[str, Any]]  # every known event, corrected ones marked, in log order
    ordered: list[dict[str, Any]]  # the same in the order they occurred
    reasons: dict[str, str]  # correction event id -> its reason
    bands: list[Band]
    dates: list[datetime]  # the dates the commitment names, for the slider and the axis
    days: list[str]  # the same as YYYY-MM-DD, distinct
    sampled: bool  # bands folded at spread dates, not every date


@dataclass(frozen=True, slots=True)
class CommitmentView:
    status: CommitmentStatus | None  # None: not made yet at as_of
    known: Known
    key: tuple[Any, ...]  # names what the ledger knew; the memo key of anything drawn from it


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
    store: EventStore, memo: Memo, commitment_id: str, as_of: datetime, known_at: datetime
) -> CommitmentView:
    """404 when the ledger knew nothing of the commitment at known_at."""
    events, linked = await load_commitment(store, commitment_id)
    parties = await load_parties(store, [events, *linked.values()])
    key = (
        commitment_id,
        known_positions([events], known_at),
        known_positions(parties.values(), known_at),
    )
    known: Known | None = memo.get(("known", *key), lambda: _known(events, parties, known_at))
    if known is None:
        raise EntityNotFound("commitment", commitment_id)
    status = status_of(events, linked, parties, as_of, known_at)
    return CommitmentView(status, known, key)


def known_positions(
    streams: Iterable[Sequence[RecordedEvent]], known_at: datetime
) -> tuple[int, ...]:
    """Names what the ledger knew of these streams at known_at: a memo key (positions are
    unique and never reused, and a stream only grows)."""
    return tuple(e.position for events in streams for e in events if e.recorded_at <= known_at)


def _known(events: Sequence[RecordedEvent], parties: Parties, known_at: datetime) -> Known | None:
    entries = history(events, known_at)
    made = next((e["data"] for e in entries if e["type"] == ev.COMMITMENT_MADE), None)
    if made is None:
        return None
    ordered = sorted(entries, key=lambda e: (e["occurred_at"], e["position"]))
    reasons = {
        e["event_id"]: str(e["data"].get("reason", ""))
        for e in entries
        if e["type"] == ev.CORRECTION_RECORDED
    }
    dates = named_dates(entries)
    spread = spread_dates(dates)
    bands = verdict_bands(events, parties, spread, known_at)
    days = sorted({f"{d:%Y-%m-%d}" for d in dates})
    sampled = len(spread) < len(dates)
    return Known(made, entries, ordered, reasons, bands, dates, days, sampled)


@dataclass(frozen=True, slots=True)
class Window:
    entries: list[dict[str, Any]]  # in the order they occurred
    start: int  # index of the first shown among all known events, in that order
    total: int
    before: str | None  # the day of the last event before the window, to move as_of to
    after: str | None  # the day of the first event after it


def window(ordered: Sequence[dict[str, Any]], as_of: datetime) -> Window:
    """Up to WINDOW events in the order they occurred, ending with the last one by as_of."""
    upto = bisect.bisect_right([e["occurred_at"] for e in ordered], format_time(as_of))
    start = max(0, upto - WINDOW)
    end = min(len(ordered), start + WINDOW)
    before = ordered[start - 1]["occurred_at"][:10] if start > 0 else None
    after = ordered[end]["occurred_at"][:10] if end < len(ordered) else None
    return Window(list(ordered[start:end]), start, len(ordered), before, after)


async def kept_over_time(
    store: EventStore, memo: Memo, ids: Sequence[str], known_at: datetime
) -> list[tuple[datetime, float | None]]:
    """A party's kept_ratio at each date its commitments name (spread when there are many)."""
    streams = await load_streams(store, ids)
    parties = await load_parties(store, streams.values())
    key = (
        "kept",
        tuple(streams),
        known_positions(streams.values(), known_at),
        known_positions(parties.values(), known_at),
    )
    points: list[tuple[datetime, float | None]] = memo.get(
        key, lambda: kept_points(streams, parties, known_at)
    )
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
