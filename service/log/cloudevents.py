"""The one mapping of a recorded event to CloudEvents 1.0, shared by the relay and the HTTP feed.

Binary mode (NATS headers) carries the canonical bytes as the body; structured mode carries the
same document as `data`. docs/api.md, "CloudEvents", is the contract.
"""

from __future__ import annotations

import json
from typing import Any

from service.log.records import RecordedEvent, format_time

SPECVERSION = "1.0"
TYPE_PREFIX = "org.pledger."
DATA_CONTENT_TYPE = "application/json"
STRUCTURED_TYPE = "application/cloudevents+json"
BATCH_TYPE = "application/cloudevents-batch+json"
# Extension names: CloudEvents allows only lower-case letters and digits. The position is a
# String, since the CloudEvents Integer is 32 bits and positions are 64-bit.
POSITION = "position"
RECORDED_AT = "recordedat"


def attributes(event: RecordedEvent, source: str) -> dict[str, str]:
    """The context attributes, each already in its canonical string form."""
    return {
        "specversion": SPECVERSION,
        "id": str(event.event_id),
        "source": source,
        "type": TYPE_PREFIX + event.type,
        "subject": event.stream_id,
        "time": format_time(event.occurred_at),
        "datacontenttype": DATA_CONTENT_TYPE,
        POSITION: str(event.position),
        RECORDED_AT: format_time(event.recorded_at),
    }


def binary_headers(event: RecordedEvent, source: str) -> dict[str, str]:
    """Binary content mode: `ce-` headers, the data's type in Content-Type; the body is
    `event.canonical`, so a consumer can recompute the leaf hash from what it received."""
    headers = {f"ce-{name}": value for name, value in attributes(event, source).items()}
    headers["Content-Type"] = headers.pop("ce-datacontenttype")
    return headers


def structured(event: RecordedEvent, source: str) -> dict[str, Any]:
    """Structured content mode: the attributes and, as `data`, the canonical document."""
    return {**attributes(event, source), "data": json.loads(event.canonical)}


def batch(events: list[RecordedEvent], source: str) -> list[dict[str, Any]]:
    return [structured(event, source) for event in events]
