"""Test factory: one commitment stream built through the real parse + decide, with chosen clocks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from service.domain.commands import parse_body
from service.domain.compliance import Linked, commitment_status
from service.domain.decide import make_commitment, record_evidence
from service.domain.events import commitment_stream
from service.domain.evidence import COMMITMENT, EVIDENCE
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


class Ledger:
    """A commitment's stream. Each post() goes through parse_body + decide, then gets recorded."""

    def __init__(self, commitment_id: str = "c1", first_position: int = 1) -> None:
        self.id = commitment_id
        self.events: list[RecordedEvent] = []
        self.next_position = first_position

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

    def post(self, body: dict[str, Any], recorded_at: str | None = None) -> RecordedEvent:
        """An evidence body; recorded when it occurred unless told otherwise."""
        recorded = recorded_at or body.get("occurred_at") or FAR
        if body["type"] != "correction_recorded":
            body = {"source": SOURCE} | body
        command = parse_body(EVIDENCE, body)
        event = record_evidence(self.id, self.events, command, now=at(recorded))
        return self._store(event, recorded)

    def assess(
        self, assessor: str, verdict: str, strength: str, occurred_at: str, **extra: Any
    ) -> RecordedEvent:
        recorded_at = extra.pop("recorded_at", None)
        body = {
            "type": "assessment_recorded",
            "assessor": assessor,
            "verdict": verdict,
            "strength": strength,
            "occurred_at": occurred_at,
        }
        return self.post(body | extra, recorded_at)

    def condition(self, kind: str, name: str, occurred_at: str, **extra: Any) -> RecordedEvent:
        body = {"type": f"condition_{kind}", "condition": name, "occurred_at": occurred_at}
        return self.post(body, extra.get("recorded_at"))

    def correct(self, target: RecordedEvent, recorded_at: str) -> RecordedEvent:
        body = {"type": "correction_recorded", "corrects": str(target.event_id), "reason": "wrong"}
        return self.post(body, recorded_at)

    def status(
        self, as_of: str = FAR, known_at: str = FAR, linked: Linked | None = None
    ) -> CommitmentStatus | None:
        return commitment_status(self.events, end(as_of), end(known_at), linked)

    def must(self, as_of: str = FAR, known_at: str = FAR) -> CommitmentStatus:
        status = self.status(as_of, known_at)
        assert status is not None
        return status

    def _store(self, event: NewEvent, recorded_at: str) -> RecordedEvent:
        recorded = record(
            event,
            stream_id=commitment_stream(self.id),
            version=len(self.events) + 1,
            position=self.next_position,
            recorded_at=at(recorded_at),
        )
        self.next_position += 1
        self.events.append(recorded)
        return recorded
