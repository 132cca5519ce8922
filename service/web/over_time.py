"""Folds over many dates for the pages: the verdict as bands over time, a party's kept ratio as
a step line. Both are memoised by the caller (service/web/memo.py)."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.domain import events as ev
from service.domain.compliance import Parties, commitment_status
from service.domain.fold import fold
from service.domain.known import known_events, latest_key
from service.domain.tallies import party_compliance
from service.log.records import RecordedEvent, format_time, parse_time

# Past this many dates, the verdict bands are folded at evenly spread dates rather than at every
# date an event or deadline names: a page stays bounded for a commitment with thousands of events.
MAX_BAND_DATES = 120


@dataclass(frozen=True, slots=True)
class Band:
    start: datetime
    end: datetime | None  # None: it holds on past the last date
    verdict: str


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


class Effective:
    """Rules 1 and 2 applied once for many dates: the events known and not corrected at
    known_at, in the order they occurred. At any as_of the rules see exactly those that occurred
    by then, so each date folds a prefix, and the corrections (already applied) are left out."""

    def __init__(self, events: Sequence[RecordedEvent], known_at: datetime) -> None:
        kept = (e for e in known_events(events, known_at) if e.type != ev.CORRECTION_RECORDED)
        self.events = sorted(kept, key=latest_key)
        self.times = [e.occurred_at for e in self.events]

    def by(self, moment: datetime) -> list[RecordedEvent]:
        return self.events[: bisect.bisect_right(self.times, moment)]


def verdict_bands(
    events: Sequence[RecordedEvent],
    parties: Parties,
    dates: Sequence[datetime],
    known_at: datetime,
) -> list[Band]:
    """The verdict from each date to the next, as the ledger knew it at known_at (linked
    commitments inform conditions, never the verdict, so they are not folded here)."""
    effective = Effective(events, known_at)
    points: list[tuple[datetime, str]] = []
    for moment in dates:
        folded = fold(effective.by(moment), moment, known_at, parties)
        if folded is not None and (not points or points[-1][1] != folded.verdict):
            points.append((moment, folded.verdict))
    ends: list[datetime | None] = [p[0] for p in points[1:]]
    ends.append(None)
    return [Band(start, end, verdict) for (start, verdict), end in zip(points, ends, strict=True)]


def kept_points(
    streams: dict[str, list[RecordedEvent]], parties: Parties, known_at: datetime
) -> list[tuple[datetime, float | None]]:
    entries = [
        {"occurred_at": format_time(e.occurred_at), "data": e.data}
        for events in streams.values()
        for e in events
        if e.recorded_at <= known_at
    ]
    effective = [Effective(events, known_at) for events in streams.values()]
    points = []
    for moment in spread_dates(named_dates(entries)):
        statuses = (
            commitment_status(e.by(moment), moment, known_at, parties=parties) for e in effective
        )
        points.append((moment, party_compliance(statuses).kept_ratio))
    return points
