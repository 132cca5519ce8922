"""The commitments write use cases over the memory store: retries with an Idempotency-Key,
If-Match, and writers that race for one stream."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from service.commitments import writes
from service.domain.commands import parse_body
from service.domain.errors import AlreadyExists, IdempotencyKeyReused, PreconditionFailed
from service.domain.evidence import COMMITMENT, EVIDENCE, PARTY
from service.log.records import NewEvent
from service.store.memory import MemoryStore
from service.store.ports import AppendResult, ExpectedVersion
from tests.support import unique

SOURCE = {"title": "a report"}


def party(party_id: str, name: str = "A party") -> Any:
    return parse_body(PARTY, {"id": party_id, "name": name, "kind": "organization"})


def assessment(verdict: str = "fulfilled", assessor: str = "monitor") -> Any:
    body = {"type": "assessment_recorded", "assessor": assessor, "verdict": verdict}
    body |= {"strength": "reported", "occurred_at": "2024-02-01", "source": SOURCE}
    return parse_body(EVIDENCE, body)


async def commitment(store: MemoryStore) -> str:
    """A commitment between two fresh parties, and the monitors that assess it; its id."""
    promisor, promisee = unique("p"), unique("q")
    monitors = ["monitor", *(f"monitor-{i}" for i in range(8))]
    for party_id in (promisor, promisee, *monitors):
        await writes.register_party(store, party(party_id), writes.Context())
    commitment_id = unique("c")
    body = {"id": commitment_id, "promisor": promisor, "promisees": [promisee], "text": "t"}
    body |= {"made_at": "2024-01-01", "source": SOURCE}
    await writes.make_commitment(store, parse_body(COMMITMENT, body), writes.Context())
    return commitment_id


async def test_a_retry_with_the_same_key_answers_the_original_and_appends_nothing() -> None:
    store, party_id = MemoryStore(), unique("p")
    ctx = writes.Context(idempotency_key="k-1")
    first = await writes.register_party(store, party(party_id), ctx)
    again = await writes.register_party(store, party(party_id), ctx)
    assert not first.replayed and again.replayed
    assert again.event.event_id == first.event.event_id
    assert await store.stream_version(f"party-{party_id}") == 1


async def test_the_same_key_with_another_body_is_refused() -> None:
    store, party_id = MemoryStore(), unique("p")
    ctx = writes.Context(idempotency_key="k-2")
    await writes.register_party(store, party(party_id), ctx)
    with pytest.raises(IdempotencyKeyReused) as caught:
        await writes.register_party(store, party(party_id, "Another name"), ctx)
    assert caught.value.fields["idempotency_key"] == "k-2"


async def test_if_match_writes_at_the_version_seen_and_refuses_a_stale_one() -> None:
    store = MemoryStore()
    commitment_id = await commitment(store)
    written = await writes.record_evidence(
        store, commitment_id, assessment(), writes.Context(), if_match=1
    )
    assert written.event.version == 2
    with pytest.raises(PreconditionFailed) as caught:
        await writes.record_evidence(
            store, commitment_id, assessment("breached"), writes.Context(), if_match=1
        )
    assert caught.value.actual == 2


async def test_concurrent_evidence_without_if_match_all_lands_in_order() -> None:
    store = MemoryStore()
    commitment_id = await commitment(store)
    bodies = [assessment(assessor=f"monitor-{i}") for i in range(8)]
    done = await asyncio.gather(
        *(writes.record_evidence(store, commitment_id, b, writes.Context()) for b in bodies)
    )
    assert sorted(w.event.version for w in done) == list(range(2, 10))


async def test_racing_creations_of_one_id_make_one_winner() -> None:
    store, party_id = MemoryStore(), unique("p")
    outcomes = await asyncio.gather(
        *(
            writes.register_party(store, party(party_id, f"n{i}"), writes.Context())
            for i in range(5)
        ),
        return_exceptions=True,
    )
    assert sum(isinstance(o, writes.Written) for o in outcomes) == 1
    assert sum(isinstance(o, AlreadyExists) for o in outcomes) == 4


class RivalFirst(MemoryStore):
    """A store where another writer appends to the stream just before our next append."""

    def __init__(self) -> None:
        super().__init__()
        self.rival: tuple[str, NewEvent] | None = None

    async def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: ExpectedVersion
    ) -> AppendResult:
        if self.rival is not None and self.rival[0] == stream_id:
            rival, self.rival = self.rival[1], None
            await super().append(stream_id, [rival], "stream_exists")
        return await super().append(stream_id, events, expected_version)


async def test_a_correction_that_lost_a_race_is_decided_again_on_the_new_stream() -> None:
    store = RivalFirst()
    commitment_id = await commitment(store)
    first = await writes.record_evidence(store, commitment_id, assessment(), writes.Context())
    stream_id = f"commitment-{commitment_id}"
    rival = (await store.read_stream(stream_id))[-1]
    store.rival = (stream_id, NewEvent("note_added", {"n": 1}, rival.occurred_at))
    correction = {"type": "correction_recorded", "corrects": str(first.event.event_id)}
    body = parse_body(EVIDENCE, {**correction, "reason": "misread"})
    written = await writes.record_evidence(store, commitment_id, body, writes.Context())
    assert written.event.version == 4 and not written.replayed


async def test_with_if_match_a_lost_race_is_a_precondition_failure_not_a_retry() -> None:
    store = RivalFirst()
    commitment_id = await commitment(store)
    stream_id = f"commitment-{commitment_id}"
    made = (await store.read_stream(stream_id))[0]
    store.rival = (stream_id, NewEvent("note_added", {"n": 1}, made.occurred_at))
    with pytest.raises(PreconditionFailed):
        await writes.record_evidence(
            store, commitment_id, assessment(), writes.Context(), if_match=1
        )
    assert await store.stream_version(stream_id) == 2
