"""The pages fold many dates at once (service/web/over_time.py) by folding prefixes of the
effective events; at every date that must answer what the one fold over the whole log answers."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.commitments.importer import import_items, read_scenario
from service.commitments.queries import history, load_commitment, load_parties, status_of
from service.domain.tallies import party_compliance
from service.log.records import NewEvent, format_time
from service.store.memory import MemoryStore
from service.web.over_time import kept_points, named_dates, verdict_bands

SCENARIO = Path(__file__).parents[2] / "examples" / "nato-afghanistan-2021.json"
START = datetime(2021, 1, 1, tzinfo=UTC)
SOURCE = {"title": "test"}


def random_stream(cid: str, count: int, seed: int) -> list[NewEvent]:
    """Assessments by three assessors, deadline changes, and corrections of earlier events."""
    rng, earlier = random.Random(seed), []
    due = format_time(START + timedelta(days=60))
    made = {"id": cid, "promisor": "p", "promisees": ["q"], "text": "t", "source": SOURCE,
            "made_at": format_time(START), "due_by": due}  # fmt: skip
    stream = [NewEvent("commitment_made", made, START)]
    for n in range(1, count):
        at = START + timedelta(days=n * 3)
        if rng.random() < 0.1 and earlier:
            data = {"corrects": earlier.pop(rng.randrange(len(earlier))), "reason": "r"}
            stream.append(NewEvent("correction_recorded", data, at))
            continue
        if rng.random() < 0.1:
            due = format_time(at + timedelta(days=30))
            stream.append(NewEvent("deadline_changed", {"due_by": due, "source": SOURCE}, at))
            continue
        event_id = uuid.uuid4()
        earlier.append(str(event_id))
        data = {"assessor": rng.choice(["p", "q", "r"]), "source": SOURCE,
                "verdict": rng.choice(["in_progress", "fulfilled", "breached", "stalled"]),
                "strength": rng.choice(["claimed", "reported", "verified"])}  # fmt: skip
        stream.append(NewEvent("assessment_recorded", data, at, {}, event_id))
    return stream


@pytest.fixture(scope="module")
async def store() -> MemoryStore:
    store = MemoryStore()
    await import_items(store, read_scenario(SCENARIO))
    for seed in range(3):
        await store.append(
            f"commitment-random-{seed}", random_stream(f"random-{seed}", 80, seed), 0
        )
    return store


IDS = ["allied-withdrawal", "taliban-al-qaeda", "taliban-afghan-settlement"]
IDS += [f"random-{seed}" for seed in range(3)]


@pytest.mark.parametrize("commitment", IDS)
async def test_verdict_bands_are_the_fold_at_each_date(store: MemoryStore, commitment: str) -> None:
    events, linked = await load_commitment(store, commitment)
    parties = await load_parties(store, [events, *linked.values()])
    now = datetime.now(UTC)
    dates = named_dates(history(events, now))
    expected: list[tuple[datetime, str]] = []
    for moment in dates:
        status = status_of(events, linked, parties, moment, now)
        if status is not None and (not expected or expected[-1][1] != status.verdict):
            expected.append((moment, status.verdict))
    bands = verdict_bands(events, parties, dates, now)
    assert [(b.start, b.verdict) for b in bands] == expected
    assert len(expected) > 1  # the verdict changes over the commitment's life


async def test_kept_ratio_over_time_is_the_tally_at_each_date(store: MemoryStore) -> None:
    streams = {i: (await load_commitment(store, i))[0] for i in IDS}
    parties = await load_parties(store, streams.values())
    now = datetime.now(UTC)
    points = kept_points(streams, parties, now)
    for moment, ratio in points:
        statuses = [status_of(s, {}, parties, moment, now) for s in streams.values()]
        assert party_compliance(statuses).kept_ratio == ratio, moment
    assert len({ratio for _, ratio in points}) > 1
