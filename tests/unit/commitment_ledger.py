"""Test factory: one commitment stream built through the real parse + decide, with chosen clocks."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from service.domain.commands import RegisterParty, parse_body
from service.domain.compliance import Linked, commitment_status
from service.domain.decide import (
    make_commitment,
    record_evidence,
    record_party_event,
    register_party,
)
from service.domain.events import commitment_stream, party_stream
from service.domain.evidence import COMMITMENT, EVIDENCE, PARTY_EVENT
from service.domain.status import CommitmentStatus
from service.domain.timeparse import parse_time
from service.log.records import NewEvent, RecordedEvent, render_canonical

SOURCE = {"title": "a report"}
FAR = "2100-01-01"


def at(text: str) -> datetime:
    """A time as an event time: a bare date is the start of its day."""
    return parse_time(text, "start")


def end(text: str) -> datetime:
    """A time as a query time (as_of, known_at): a bare date is the end of its day."""
    return parse_time(text, "end")


def record(
    event: NewEvent, *, stream_id: str, version: int, position: int, recorded_at: datetime
) -> RecordedEvent:
    canonical = render_canonical(
        event, stream_id=stream_id, version=version, position=position, recorded_at=recorded_at
    )
    return RecordedEvent(position, canonical)


def written_by(by: str | None) -> dict[str, Any]:
    """The envelope of an event written by party `by` (None: a legacy event, no writer)."""
    return {} if by is None else {"metadata": {"recorded_by": by}}


class Party:
    """A party's stream: registered, then dissolutions and corrections through decide."""

    def __init__(self, party_id: str, positions: Iterator[int], registered: str = "2000-01-01"):
        self.id = party_id
        self.positions = positions
        self.events: list[RecordedEvent] = []
        body = RegisterParty(id=party_id, name=party_id, kind="state")
        self._store(register_party([], body, now=at(registered)), registered)

    def post(self, body: dict[str, Any], recorded_at: str, by: str | None = None) -> RecordedEvent:
        if body["type"] != "correction_recorded":
            body = {"source": SOURCE} | body
        command = parse_body(PARTY_EVENT, body)
        event = record_party_event(
            self.id, self.events, command, now=at(recorded_at), **written_by(by)
        )
        return self._store(event, recorded_at)

    def dissolve(
        self, occurred_at: str, by: str | None, recorded_at: str | None = None
    ) -> RecordedEvent:
        body = {"type": "party_dissolved", "occurred_at": occurred_at}
        return self.post(body, recorded_at or occurred_at, by)

    def _store(self, event: NewEvent, recorded_at: str) -> RecordedEvent:
        recorded = record(
            event,
            stream_id=party_stream(self.id),
            version=len(self.events) + 1,
            position=next(self.positions),
            recorded_at=at(recorded_at),
        )
        self.events.append(recorded)
        return recorded


def streams_of(parties: Sequence[Party]) -> Mapping[str, list[RecordedEvent]]:
    return {p.id: p.events for p in parties}


class Ledger:
    """A commitment's stream. Each post() goes through parse_body + decide, then gets recorded.

    Ledgers (and Party streams) given the same `positions` share one global log order."""

    def __init__(
        self,
        commitment_id: str = "c1",
        first_position: int = 1,
        positions: Iterator[int] | None = None,
    ) -> None:
        self.id = commitment_id
        self.events: list[RecordedEvent] = []
        self.positions = positions or itertools.count(first_position)
        self.parties: Mapping[str, Sequence[RecordedEvent]] = {}

    def make(self, recorded_at: str | None = None, **fields: Any) -> RecordedEvent:
        body = {
            "id": self.id,
            "promisor": "p",
            "promisees": ["q"],
            "text": "do the thing",
            "made_at": "2020-01-01",
            "source": SOURCE,
        } | fields
        event = make_commitment(self.events, parse_body(COMMITMENT, body))
        return self._store(event, recorded_at or body["made_at"])

    def post(
        self, body: dict[str, Any], recorded_at: str | None = None, by: str | None = None
    ) -> RecordedEvent:
        """An evidence body written by `by`; recorded when it occurred unless told otherwise."""
        recorded = recorded_at or body.get("occurred_at") or FAR
        if body["type"] != "correction_recorded":
            body = {"source": SOURCE} | body
        command = parse_body(EVIDENCE, body)
        event = record_evidence(self.id, self.events, command, now=at(recorded), **written_by(by))
        return self._store(event, recorded)

    def assess(
        self, assessor: str, verdict: str, strength: str, occurred_at: str, **extra: Any
    ) -> RecordedEvent:
        """An assessment; `by=` names its writer (default: none, a legacy event)."""
        recorded_at = extra.pop("recorded_at", None)
        by = extra.pop("by", None)
        body = {
            "type": "assessment_recorded",
            "assessor": assessor,
            "verdict": verdict,
            "strength": strength,
            "occurred_at": occurred_at,
        }
        return self.post(body | extra, recorded_at, by)

    def condition(self, kind: str, name: str, occurred_at: str, **extra: Any) -> RecordedEvent:
        body = {"type": f"condition_{kind}", "condition": name, "occurred_at": occurred_at}
        return self.post(body, extra.get("recorded_at"), extra.get("by"))

    def correct(self, target: RecordedEvent, recorded_at: str) -> RecordedEvent:
        body = {"type": "correction_recorded", "corrects": str(target.event_id), "reason": "wrong"}
        return self.post(body, recorded_at)

    def status(
        self, as_of: str = FAR, known_at: str = FAR, linked: Linked | None = None
    ) -> CommitmentStatus | None:
        return commitment_status(self.events, end(as_of), end(known_at), linked, self.parties)

    def must(self, as_of: str = FAR, known_at: str = FAR) -> CommitmentStatus:
        status = self.status(as_of, known_at)
        assert status is not None
        return status

    def _store(self, event: NewEvent, recorded_at: str) -> RecordedEvent:
        recorded = record(
            event,
            stream_id=commitment_stream(self.id),
            version=len(self.events) + 1,
            position=next(self.positions),
            recorded_at=at(recorded_at),
        )
        self.events.append(recorded)
        return recorded
