"""The event store contract, run against the memory and the PostgreSQL store alike."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from service.domain.errors import (
    ConcurrencyConflict,
    DuplicateEventId,
    StreamNotFound,
    ValidationFailed,
)
from service.log.records import NewEvent, canonical_json, leaf_hash
from tests.support import new_event, unique


async def test_append_to_new_stream_assigns_versions_and_positions(store) -> None:
    stream = unique()
    head = await store.head_position()
    result = await store.append(stream, [new_event(n=1), new_event(n=2)], "no_stream")
    assert (result.first_version, result.last_version) == (1, 2)
    assert result.last_position == result.first_position + 1
    assert result.first_position > head
    assert not result.replayed
    events = await store.read_stream(stream)
    assert [e.version for e in events] == [1, 2]
    assert [e.data for e in events] == [{"n": 1}, {"n": 2}]
    assert [e.position for e in events] == [result.first_position, result.last_position]
    # What append returned is byte for byte what was stored.
    assert [e.canonical for e in result.events] == [e.canonical for e in events]


async def test_event_fields_round_trip_through_canonical_bytes(store) -> None:
    stream = unique()
    occurred = datetime(2020, 2, 29, 12, 30, 1, 123456, tzinfo=UTC)
    event = NewEvent(
        type="thing_recorded",
        data={"text": "withdraw — all troops", "n": 1.5, "nested": {"b": [1, None, True]}},
        metadata={"actor": "analyst-1", "correlation_id": "c-1"},
        occurred_at=occurred,
    )
    await store.append(stream, [event], "any")
    [stored] = await store.read_stream(stream)
    assert stored.event_id == event.event_id
    assert stored.type == "thing_recorded"
    assert stored.data == event.data
    assert stored.metadata == event.metadata
    assert stored.occurred_at == occurred
    assert stored.recorded_at.tzinfo is not None
    doc = stored.to_json()
    assert bytes.fromhex(doc.pop("leaf_hash")) == leaf_hash(stored.canonical)
    assert canonical_json(doc) == stored.canonical  # an outsider can recompute the bytes


async def test_canonical_bytes_are_rfc8785_on_every_store(store) -> None:
    # Floats, exponents, a key outside the BMP (sorted by UTF-16 code units) and escapes: the
    # bytes a JavaScript or Go verifier writes for the same document (docs/ledger.md).
    stream = unique()
    data = {
        "zero": 0.0,
        "big": 1e21,
        "small": 1e-7,
        "neg": -0.0,
        "exact": 10**20,
        "\U0001f600": "smile",
        "\ue000": "private",
        "esc": 'tab\t"q"\u001f\u007f',
    }
    event = NewEvent("thing_recorded", data, datetime.now(UTC))
    result = await store.append(stream, [event], "any")
    [stored] = await store.read_stream(stream)
    assert stored.canonical == result.events[0].canonical
    text = stored.canonical.decode("utf-8")
    assert text.startswith(
        '{"data":{"big":1e+21,"esc":"tab\\t\\"q\\"\\u001f\x7f","exact":100000000000000000000,'
        '"neg":0,"small":1e-7,"zero":0,"\U0001f600":"smile","\ue000":"private"},"event_id":'
    )
    doc = stored.to_json()
    assert bytes.fromhex(doc.pop("leaf_hash")) == leaf_hash(canonical_json(doc))


async def test_an_inexact_integer_is_refused_naming_its_field(store) -> None:
    event = NewEvent("t", {"measure": {"values": [1, 2**53 + 1]}}, datetime.now(UTC))
    with pytest.raises(ValidationFailed) as info:
        await store.append(unique(), [event], "any")
    assert info.value.field == "data.measure.values.1"


async def test_exact_expected_version(store) -> None:
    stream = unique()
    await store.append(stream, [new_event()], 0)
    await store.append(stream, [new_event()], 1)
    with pytest.raises(ConcurrencyConflict) as info:
        await store.append(stream, [new_event()], 1)
    assert (info.value.stream_id, info.value.expected, info.value.actual) == (stream, 1, 2)
    assert await store.stream_version(stream) == 2


@pytest.mark.parametrize(
    ("expected", "exists", "ok"),
    [
        ("no_stream", False, True),
        ("no_stream", True, False),
        ("stream_exists", False, False),
        ("stream_exists", True, True),
        ("any", False, True),
        ("any", True, True),
    ],
)
async def test_named_expected_versions(store, expected, exists, ok) -> None:
    stream = unique()
    if exists:
        await store.append(stream, [new_event()], "no_stream")
    before = await store.stream_version(stream)
    if ok:
        await store.append(stream, [new_event()], expected)
        assert await store.stream_version(stream) == before + 1
    else:
        with pytest.raises(ConcurrencyConflict):
            await store.append(stream, [new_event()], expected)
        assert await store.stream_version(stream) == before


async def test_conflict_writes_nothing_of_a_multi_event_append(store) -> None:
    stream = unique()
    await store.append(stream, [new_event()], "no_stream")
    head = await store.head_position()
    with pytest.raises(ConcurrencyConflict):
        await store.append(stream, [new_event(), new_event(), new_event()], 5)
    assert await store.stream_version(stream) == 1
    assert (
        await store.head_position() == head
        or (await store.read_all(head)) == []
        or all(e.stream_id != stream for e in await store.read_all(head))
    )


async def test_idempotent_retry_returns_original_result(store) -> None:
    stream = unique()
    events = [new_event(n=1), new_event(n=2)]
    first = await store.append(stream, events, "no_stream")
    # The retry differs only in metadata (a new request id): still the same append.
    retry = [
        NewEvent(e.type, e.data, e.occurred_at, {"request_id": "retry"}, e.event_id) for e in events
    ]
    again = await store.append(stream, retry, "no_stream")
    assert again.replayed
    assert (again.first_position, again.last_position) == (
        first.first_position,
        first.last_position,
    )
    assert (again.first_version, again.last_version) == (1, 2)
    assert await store.stream_version(stream) == 2


async def test_reused_event_id_with_other_content_is_refused(store) -> None:
    stream = unique()
    event = new_event(n=1)
    await store.append(stream, [event], "any")
    changed = NewEvent(event.type, {"n": 2}, event.occurred_at, {}, event.event_id)
    with pytest.raises(DuplicateEventId):
        await store.append(stream, [changed], "any")
    elsewhere = NewEvent(event.type, event.data, event.occurred_at, {}, event.event_id)
    with pytest.raises(DuplicateEventId):
        await store.append(unique(), [elsewhere], "any")
    partly = [NewEvent(event.type, event.data, event.occurred_at, {}, event.event_id), new_event()]
    with pytest.raises(DuplicateEventId):
        await store.append(stream, partly, "any")
    assert await store.stream_version(stream) == 1


async def test_read_stream_paging_and_direction(store) -> None:
    stream = unique()
    await store.append(stream, [new_event(n=i) for i in range(1, 8)], "no_stream")
    page = await store.read_stream(stream, from_version=3, limit=2)
    assert [e.version for e in page] == [3, 4]
    back = await store.read_stream(stream, from_version=7, limit=3, direction="backward")
    assert [e.version for e in back] == [7, 6, 5]
    assert await store.read_stream(stream, from_version=99) == []


async def test_unknown_stream_is_not_found(store) -> None:
    with pytest.raises(StreamNotFound):
        await store.read_stream(unique())
    assert await store.stream_version(unique()) == 0


async def test_read_all_pages_in_position_order_with_type_filter(store) -> None:
    head = await store.head_position()
    stream = unique()
    pairs = [new_event(t) for _ in range(3) for t in ("a_happened", "b_happened")]
    await store.append(stream, pairs, "any")
    everything = await store.read_all(head, limit=100)
    mine = [e for e in everything if e.stream_id == stream]
    assert [e.version for e in mine] == [1, 2, 3, 4, 5, 6]
    positions = [e.position for e in everything]
    assert positions == list(range(head + 1, head + 1 + len(positions)))
    only_b = await store.read_all(head, limit=100, types=["b_happened"])
    assert [e.version for e in only_b if e.stream_id == stream] == [2, 4, 6]
    first_two = await store.read_all(head, limit=2)
    assert [e.position for e in first_two] == [head + 1, head + 2]


@pytest.mark.parametrize(
    ("stream_id", "events", "expected"),
    [
        ("", [new_event()], "any"),
        ("has space", [new_event()], "any"),
        ("ok", [], "any"),
        ("ok", [new_event()], -1),
        ("ok", [new_event()], "sometimes"),
        ("ok", [NewEvent("Bad Type", {}, datetime.now(UTC))], "any"),
        ("ok", [NewEvent("t", {"x": float("nan")}, datetime.now(UTC))], "any"),
        ("ok", [NewEvent("t", {"x": "nul\x00"}, datetime.now(UTC))], "any"),
        ("ok", [NewEvent("t", {}, datetime(2020, 1, 1))], "any"),
        (
            "ok",
            [NewEvent("t", {}, datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))))],
            "any",
        ),
        ("ok", [NewEvent("t", {"n": {1: "int key"}}, datetime.now(UTC))], "any"),
        ("ok", [NewEvent("t", {"n": [2**53 + 1]}, datetime.now(UTC))], "any"),
        ("ok", [NewEvent("t", {"s": "lone \ud800"}, datetime.now(UTC))], "any"),
        ("ok", [new_event()], 2**31),
    ],
)
async def test_invalid_appends_are_refused_and_write_nothing(
    store, stream_id, events, expected
) -> None:
    head = await store.head_position()
    with pytest.raises(ValidationFailed):
        await store.append(stream_id, events, expected)
    assert await store.head_position() == head


async def test_duplicate_event_id_within_one_append_is_refused(store) -> None:
    event = new_event()
    with pytest.raises(ValidationFailed):
        await store.append(unique(), [event, event], "any")


async def test_concurrent_appends_to_distinct_streams_all_land(store) -> None:
    head = await store.head_position()
    streams = [unique() for _ in range(20)]
    results = await asyncio.gather(*(store.append(s, [new_event()], "no_stream") for s in streams))
    positions = sorted(r.first_position for r in results)
    assert positions == list(range(head + 1, head + 21))


async def test_recorded_at_never_goes_backwards_along_positions(store) -> None:
    head = await store.head_position()
    for _ in range(5):
        await store.append(unique(), [new_event()], "any")
    events = await store.read_all(head, limit=100)
    times = [e.recorded_at for e in events]
    assert times == sorted(times)
    assert times[-1] - times[0] < timedelta(minutes=1)


async def test_subscribe_catches_up_then_follows_live(store) -> None:
    stream = unique()
    head = await store.head_position()
    await store.append(stream, [new_event(n=1)], "any")
    seen: list[int] = []

    async def follow() -> None:
        async for event in store.subscribe(head):
            if event.stream_id == stream:
                seen.append(event.data["n"])
                if len(seen) == 3:
                    return

    task = asyncio.create_task(follow())
    await store.append(stream, [new_event(n=2)], "any")
    await store.append(stream, [new_event(n=3)], "any")
    await asyncio.wait_for(task, 10)
    assert seen == [1, 2, 3]


async def test_event_ids_are_uuids(store) -> None:
    result = await store.append(unique(), [new_event()], "any")
    assert isinstance(result.events[0].event_id, uuid.UUID)


async def test_escaped_text_that_only_looks_like_nul_is_stored(store) -> None:
    stream = unique()
    await store.append(stream, [new_event(text="a literal \\u0000 in text")], "any")
    [stored] = await store.read_stream(stream)
    assert stored.data["text"] == "a literal \\u0000 in text"


async def test_retry_with_events_reordered_is_not_a_replay(store) -> None:
    stream = unique()
    a, b = new_event(n=1), new_event(n=2)
    await store.append(stream, [a, b], "no_stream")
    with pytest.raises(DuplicateEventId):
        await store.append(stream, [b, a], "any")
    assert await store.stream_version(stream) == 2


async def test_concurrent_retries_of_one_append_get_the_same_result(store) -> None:
    # Several copies of one append in flight at once (the PostgreSQL store groups them into
    # one batch): one writes, the others are answered as its retries.
    stream = unique()
    events = [new_event(n=1), new_event(n=2)]
    results = await asyncio.gather(*(store.append(stream, events, "any") for _ in range(5)))
    assert sum(not r.replayed for r in results) == 1
    assert {(r.first_position, r.last_version) for r in results} == {(results[0].first_position, 2)}
    assert await store.stream_version(stream) == 2


async def test_overlapping_appends_in_one_batch_do_not_pass_for_retries(store) -> None:
    stream = unique()
    a, b, c = new_event(n=1), new_event(n=2), new_event(n=3)
    await store.append(stream, [a, b], "no_stream")
    outcomes = await asyncio.gather(
        store.append(stream, [a, c], "any"), store.append(stream, [c], 2), return_exceptions=True
    )
    assert isinstance(outcomes[0], DuplicateEventId)
    assert not isinstance(outcomes[1], BaseException)
    assert [e.version for e in await store.read_stream(stream)] == [1, 2, 3]
