"""Rules 1 and 2 (docs/compliance-rules.md): which events are known at K and effective at V.

They apply alike to a commitment's stream and to the party streams the rules read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from service.domain import events as ev
from service.domain.relief import Point, point
from service.log.records import RecordedEvent, parse_time


def latest_key(event: RecordedEvent) -> Point:
    """'Latest' means greatest occurred_at, ties broken by greater position."""
    return point(event)


def corrected_ids(events: Iterable[RecordedEvent], known_at: datetime) -> set[str]:
    """Event ids named by a correction recorded by known_at (rule 1: by transaction time only)."""
    return {
        str(e.data["corrects"])
        for e in events
        if e.type == ev.CORRECTION_RECORDED and e.recorded_at <= known_at
    }


def known_events(events: Iterable[RecordedEvent], known_at: datetime) -> list[RecordedEvent]:
    """Rule 1: recorded by known_at and not corrected by then, in position order."""
    recorded = sorted((e for e in events if e.recorded_at <= known_at), key=lambda e: e.position)
    corrected = corrected_ids(recorded, known_at)
    if not corrected:  # the common case: spare parsing every event id
        return recorded
    return [e for e in recorded if str(e.event_id) not in corrected]


def effective_events(
    events: Iterable[RecordedEvent], as_of: datetime, known_at: datetime
) -> list[RecordedEvent]:
    """Rules 1 and 2: known at known_at and occurred by as_of, in position order."""
    return [e for e in known_events(events, known_at) if e.occurred_at <= as_of]


def effective_time(assessment: RecordedEvent) -> datetime:
    """An assessment's effective_at (always filled by the API), else its occurred_at."""
    text = assessment.data.get("effective_at")
    return assessment.occurred_at if text is None else parse_time(text)
