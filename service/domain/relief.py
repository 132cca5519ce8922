"""Who may release a promisor (rules v2, R2 and R5): ceased parties and binding relief events.

A relief event (deadline change, supersession, withdrawal, condition failure) written by anyone
but the promisor binds from its own point; the promisor's own binds only once every promisee that
has not ceased agrees to it, and until then it is a request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from service.domain import events as ev
from service.log.records import RecordedEvent

Point = tuple[datetime, int]  # (occurred_at, position): "latest" is the greatest point


def point(event: RecordedEvent) -> Point:
    return (event.occurred_at, event.position)


def writer(event: RecordedEvent) -> str | None:
    """The party that appended the event; None for legacy and administrator events."""
    recorded_by = event.metadata.get("recorded_by")
    return None if recorded_by is None else str(recorded_by)


def assessor_of(event: RecordedEvent) -> str:
    """An assessment's assessor: its writer, or for a legacy event its `assessor` field."""
    return writer(event) or str(event.data["assessor"])


def cessations(effective: Mapping[str, Iterable[RecordedEvent]]) -> dict[str, RecordedEvent]:
    """R5: per party that has ceased, its earliest effective party_dissolved written by another
    party (a party cannot dissolve itself out of its promises). `effective`: each party's
    effective events (v1 rules 1 and 2 already applied)."""
    ceased: dict[str, RecordedEvent] = {}
    for party_id, stream in effective.items():
        found = [e for e in stream if e.type == ev.PARTY_DISSOLVED and writer(e) != party_id]
        if found:
            ceased[party_id] = min(found, key=point)
    return ceased


@dataclass(frozen=True, slots=True)
class Relief:
    """The effective relief events of a commitment, sorted into binding and requests (R2)."""

    binding: dict[str, Point]  # event_id -> binding point
    requests: list[RecordedEvent]  # in point order

    def binds(self, event: RecordedEvent) -> bool:
        return str(event.event_id) in self.binding

    def key(self, event: RecordedEvent) -> Point:
        """The binding point of a binding event."""
        return self.binding[str(event.event_id)]


def classify(
    relief: Iterable[RecordedEvent],
    agreements: Iterable[RecordedEvent],
    promisor: str,
    promisees: Sequence[str],
    ceased: Mapping[str, RecordedEvent],
) -> Relief:
    """R2 over the effective relief events and change_agreed events of one commitment."""
    earliest: dict[tuple[str, str], Point] = {}  # (event_id, promisee) -> earliest agreement
    for agreement in agreements:
        key = (str(agreement.data["agrees"]), writer(agreement) or "")
        if key not in earliest or point(agreement) < earliest[key]:
            earliest[key] = point(agreement)
    required = [p for p in promisees if p not in ceased]
    binding: dict[str, Point] = {}
    requests: list[RecordedEvent] = []
    for event in sorted(relief, key=point):
        event_id = str(event.event_id)
        if writer(event) != promisor:
            binding[event_id] = point(event)
            continue
        agreed = [earliest.get((event_id, p)) for p in required]
        if required and all(a is not None for a in agreed):
            binding[event_id] = max([point(event), *(a for a in agreed if a is not None)])
        else:
            requests.append(event)
    return Relief(binding, requests)
