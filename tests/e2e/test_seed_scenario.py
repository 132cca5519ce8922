"""The seed scenario (Doha 2020 to August 2021) imported into a database of its own, then asked
over HTTP at several (as_of, known_at), as docs/compliance-rules.md works it out.

The file is imported in two goes, so that the ledger's own clock separates what it knew before
the April 2021 deadline change (known_at = K1) from what it knows now.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from service.app import create_app
from service.domain.records import format_time
from service.importer import import_items, read_scenario
from service.store.database import create_pool
from service.store.postgres import PostgresStore
from tests.commitments_support import get, post
from tests.conftest import drop_database, fresh_database

SCENARIO = Path(__file__).parents[2] / "examples" / "nato-afghanistan-2021.json"


@dataclass
class Seeded:
    settings: Any
    store: PostgresStore
    pool: Any
    k1: str  # a known_at after NATO's February report, before the deadline moved
    k2: str  # once everything was imported (the correction test records more later)


def _first_deadline_change(items: list[Any]) -> int:
    return next(i for i, item in enumerate(items) if item.raw.get("type") == "deadline_changed")


@pytest.fixture(scope="module")
async def seeded(server_dsn: str, settings: Any) -> AsyncIterator[Seeded]:
    dsn = await fresh_database(server_dsn, "pledger_seed")
    pool = await create_pool(dsn, role=settings.db_role, min_size=1, max_size=8, timeout=5)
    store = PostgresStore(pool, dsn, poll_interval=0.05)
    items = read_scenario(SCENARIO)
    cut = _first_deadline_change(items)
    await import_items(store, items[:cut])
    k1 = format_time((await store.read_all(await store.head_position() - 1, 1))[0].recorded_at)
    await import_items(store, items[cut:])
    k2 = format_time((await store.read_all(await store.head_position() - 1, 1))[0].recorded_at)
    seed_settings = settings.model_copy(update={"database_url": dsn})
    try:
        yield Seeded(seed_settings, store, pool, k1, k2)
    finally:
        await store.close()
        await pool.close()
        await drop_database(server_dsn, dsn)


@pytest.fixture
async def client(aiohttp_client: Any, seeded: Seeded) -> Any:
    return await aiohttp_client(create_app(seeded.settings, store=seeded.store))


async def status(client: Any, commitment: str, **times: str) -> Any:
    return await get(client, f"/v1/commitments/{commitment}/status", **times)


WITHDRAWAL = [
    # (as_of, known_at, verdict, schedule, disputed, due_by day)
    ("2021-02-01", "K2", "pending_condition", "not_due", False, "2021-05-01"),
    ("2021-02-19", "K2", "in_progress", "not_due", False, "2021-05-01"),
    ("2021-05-02", "K1", "in_progress", "overdue", False, "2021-05-01"),
    ("2021-05-02", "K2", "in_progress", "not_due", True, "2021-09-11"),
    ("2021-08-30", "K2", "in_progress", "not_due", True, "2021-08-31"),
    ("2021-09-01", "K2", "fulfilled", "met_on_time", True, "2021-08-31"),
]


@pytest.mark.parametrize(
    ("as_of", "known_at", "verdict", "schedule", "disputed", "due"), WITHDRAWAL
)
async def test_the_allied_withdrawal_at_several_dates(
    client: Any,
    seeded: Seeded,
    as_of: str,
    known_at: str,
    verdict: str,
    schedule: str,
    disputed: bool,
    due: str,
) -> None:
    times = {"as_of": as_of, "known_at": seeded.k1 if known_at == "K1" else seeded.k2}
    body = await status(client, "allied-withdrawal", **times)
    assert (body["verdict"], body["schedule"], body["disputed"]) == (verdict, schedule, disputed)
    assert body["due_by"].startswith(due)
    linked = body["conditions"][0]
    assert linked["commitment"] == "taliban-al-qaeda"
    assert linked["commitment_verdict"] == "breached"


async def test_before_it_was_made_the_withdrawal_does_not_exist(client: Any) -> None:
    await get(client, "/v1/commitments/allied-withdrawal/status", 404, as_of="2020-02-28")
    await get(
        client, "/v1/commitments/austin-no-unilateral-withdrawal/status", 404, as_of="2021-02-17"
    )


@pytest.mark.parametrize(
    ("commitment", "as_of", "verdict", "disputed", "decided_by"),
    [
        ("taliban-al-qaeda", "2021-03-01", "breached", True, "un-monitoring-team"),
        ("taliban-stop-attacks", "2021-02-01", "not_assessed", False, None),
        ("taliban-stop-attacks", "2021-03-01", "breached", True, "resolute-support"),
        ("taliban-afghan-settlement", "2021-03-01", "stalled", False, "nato"),
        ("austin-no-unilateral-withdrawal", "2021-05-02", "fulfilled", False, "nato"),
    ],
)
async def test_the_other_pledges(
    client: Any,
    seeded: Seeded,
    commitment: str,
    as_of: str,
    verdict: str,
    disputed: bool,
    decided_by: str | None,
) -> None:
    body = await status(client, commitment, as_of=as_of, known_at=seeded.k2)
    assert (body["verdict"], body["schedule"], body["disputed"]) == (
        verdict,
        "no_deadline",
        disputed,
    )
    deciders = [a["assessor"] for a in body["assessments"] if a["event_id"] == body["decided_by"]]
    assert deciders == ([decided_by] if decided_by else [])


async def test_what_the_ledger_knew_at_k1(client: Any, seeded: Seeded) -> None:
    """At K1 the White House's April changes and everything later were not yet recorded."""
    history = await get(client, "/v1/commitments/allied-withdrawal/history", known_at=seeded.k1)
    assert [e["type"] for e in history["events"]] == ["commitment_made", "assessment_recorded"]
    all_ = await get(client, "/v1/commitments/allied-withdrawal/history", known_at=seeded.k2)
    assert len(all_["events"]) == 8 and not any(e["corrected"] for e in all_["events"])


async def test_a_correction_acts_from_when_it_is_recorded(client: Any, seeded: Seeded) -> None:
    """NATO's February assessment of the withdrawal, corrected (the doc's example): gone for
    every as_of as seen from then on, still there as seen from before, marked in the history."""
    cid = "allied-withdrawal"
    before = await status(client, cid, as_of="2021-02-19", known_at=seeded.k2)
    assert before["verdict"] == "in_progress"
    nato = next(a for a in before["assessments"] if a["assessor"] == "nato")
    fix = {"type": "correction_recorded", "corrects": nato["event_id"], "reason": "wrong file"}
    written = await post(client, f"/v1/commitments/{cid}/events", fix)
    history = await get(client, f"/v1/commitments/{cid}/history")
    marked = {e["event_id"]: e["corrected"] for e in history["events"]}
    assert marked[nato["event_id"]] is True and marked[written["event_id"]] is False
    assert len(marked) == 9
    after = await status(client, cid, as_of="2021-02-19")
    assert after["verdict"] == "pending_condition"
    assert (await status(client, cid, as_of="2021-02-19", known_at=seeded.k2)) == before
    now = await status(client, cid)
    assert (now["verdict"], now["schedule"]) == ("fulfilled", "met_on_time")
