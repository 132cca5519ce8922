"""Canonical bytes: assembled from parts they equal the sorted, compact JSON of the event."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from service.log.records import (
    NewEvent,
    RecordedEvent,
    canonical_json,
    format_time,
    leaf_hash,
    render_canonical,
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)
times = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 1, 1), timezones=st.just(UTC)
)


@given(
    data=st.dictionaries(st.text(), json_values, max_size=4),
    metadata=st.dictionaries(st.text(), st.text(), max_size=3),
    stream_id=st.text(min_size=1, max_size=20),
    type_=st.text(min_size=1, max_size=20),
    occurred_at=times,
    recorded_at=times,
    position=st.integers(1, 2**53),  # JCS numbers are doubles; 2^53 events are far off
    version=st.integers(1, 2**31 - 1),
)
def test_assembled_bytes_are_the_canonical_json_of_the_document(
    data, metadata, stream_id, type_, occurred_at, recorded_at, position, version
) -> None:
    event = NewEvent(type_, data, occurred_at, metadata, uuid.uuid4())
    rendered = render_canonical(
        event, stream_id=stream_id, version=version, position=position, recorded_at=recorded_at
    )
    document = {
        "data": data,
        "event_id": str(event.event_id),
        "metadata": metadata,
        "occurred_at": format_time(occurred_at),
        "position": position,
        "recorded_at": format_time(recorded_at),
        "stream_id": stream_id,
        "type": type_,
        "version": version,
    }
    assert rendered == canonical_json(document)
    recorded = RecordedEvent(position, rendered)
    assert (recorded.stream_id, recorded.version, recorded.type) == (stream_id, version, type_)
    assert recorded.occurred_at == occurred_at
    assert recorded.data == data


def test_leaf_hash_is_rfc6962_leaf_of_the_bytes() -> None:
    # SHA-256 of the single byte 0x00 followed by nothing: the RFC 6962 empty-leaf hash.
    assert leaf_hash(b"").hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )


def test_times_render_in_utc_with_microseconds() -> None:
    from datetime import timedelta, timezone

    kabul = timezone(timedelta(hours=4, minutes=30))
    assert format_time(datetime(2020, 2, 29, 4, 30, tzinfo=kabul)) == "2020-02-29T00:00:00.000000Z"
