"""The CloudEvents mapping, read back by the CloudEvents SDK (which validates every attribute)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from cloudevents.core.bindings.http import HTTPMessage, from_binary
from cloudevents.core.formats.json import JSONFormat

from service.log.cloudevents import batch, binary_headers, structured
from service.log.records import NewEvent, RecordedEvent, render_canonical
from service.relay.jetstream import subject

OCCURRED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
RECORDED = datetime(2026, 3, 2, 10, 0, 0, 123456, tzinfo=UTC)
POSITION = 2**40  # beyond the CloudEvents Integer: positions travel as strings


def _event(stream_id: str = "commitment-c1", type_: str = "commitment_made") -> RecordedEvent:
    new = NewEvent(type=type_, data={"title": "ship"}, occurred_at=OCCURRED, event_id=uuid.uuid4())
    canonical = render_canonical(
        new, stream_id=stream_id, version=1, position=POSITION, recorded_at=RECORDED
    )
    return RecordedEvent(POSITION, canonical)


def test_structured_mode_reads_back_with_every_attribute() -> None:
    event = _event()
    body = json.dumps(structured(event, "ledger.example")).encode()
    read = JSONFormat().read(None, body)
    assert read.get_id() == str(event.event_id)
    assert read.get_source() == "ledger.example"
    assert read.get_type() == "org.pledger.commitment_made"
    assert read.get_subject() == "commitment-c1"
    assert read.get_time() == OCCURRED
    assert read.get_extension("position") == str(POSITION)
    assert read.get_extension("recordedat") == "2026-03-02T10:00:00.123456Z"
    assert read.get_data() == json.loads(event.canonical)


def test_binary_mode_carries_the_canonical_bytes_as_the_body() -> None:
    event = _event()
    headers = binary_headers(event, "ledger.example")
    assert headers["Content-Type"] == "application/json"
    read = from_binary(HTTPMessage(headers=headers, body=event.canonical), JSONFormat())
    assert read.get_specversion() == "1.0"
    assert read.get_type() == "org.pledger.commitment_made"
    assert read.get_data() == json.loads(event.canonical)


def test_a_batch_is_a_list_of_structured_events_in_order() -> None:
    events = [_event(), _event("party-p1", "party_registered")]
    assert [e["subject"] for e in batch(events, "s")] == ["commitment-c1", "party-p1"]


def test_subjects_name_the_stream_kind_and_type_with_safe_tokens() -> None:
    assert subject("pledger.events", _event()) == "pledger.events.commitment.commitment_made"
    assert subject("p", _event("odd.stream*id", "x>y")) == "p.odd_stream_id.x_y"
