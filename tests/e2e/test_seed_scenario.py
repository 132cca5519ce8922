"""The seed scenario (Doha 2020 to August 2021) imported into a database of its own, then asked
over HTTP at several (as_of, known_at), as docs/compliance-rules.md works it out.

The file is imported in two goes, so that the ledger's own clock separates what it knew before
the April 2021 deadline change (known_at = K1) from what it knows now.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from service.app import create_app
from service.auth.registry import PostgresRegistry
from service.commitments.importer import import_items, read_scenario
from service.log.records import format_time
from service.projections.leader import ProjectorRunner
from service.store.database import create_pool
from service.store.postgres import PostgresStore
from tests.auth_support import admin_headers
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
    registry = PostgresRegistry(pool)
    await import_items(store, items[:cut], registry=registry)
    k1 = format_time((await store.read_all(await store.head_position() - 1, 1))[0].recorded_at)
    await import_items(store, items[cut:], registry=registry)
    k2 = format_time((await store.read_all(await store.head_position() - 1, 1))[0].recorded_at)
    seed_settings = settings.model_copy(update={"database_url": dsn})
    runner = ProjectorRunner(store, dsn, role=settings.db_role, poll_interval=0.05)
    projector = asyncio.create_task(runner.run())
    try:
        yield Seeded(seed_settings, store, pool, k1, k2)
    finally:
        projector.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await projector
        await store.close()
        await pool.close()
        await drop_database(server_dsn, dsn)


@pytest.fixture
async def client(aiohttp_client: Any, seeded: Seeded) -> Any:
    headers = await admin_headers(seeded.settings.database_url)
    return await aiohttp_client(create_app(seeded.settings, store=seeded.store), headers=headers)


async def status(client: Any, commitment: str, **times: str) -> Any:
    return await get(client, f"/v1/commitments/{commitment}/status", **times)


WITHDRAWAL = [
    # (as_of, known_at, verdict, schedule, disputed, due_by day)
    ("2021-02-01", "K2", "pending_condition", "not_due", False, "2021-05-01"),
    ("2021-02-19", "K2", "in_progress", "not_due", False, "2021-05-01"),
    ("2021-05-02", "K1", "in_progress", "overdue", False, "2021-05-01"),
    # The United States' own deadline changes are requests the Taliban never agreed to (R2).
    ("2021-05-02", "K2", "in_progress", "overdue", True, "2021-05-01"),
    ("2021-08-30", "K2", "in_progress", "overdue", True, "2021-05-01"),
    ("2021-09-01", "K2", "fulfilled", "met_late", True, "2021-05-01"),
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
    assert (now["verdict"], now["schedule"]) == ("fulfilled", "met_late")


async def head(seeded: Seeded) -> str:
    return str(await seeded.store.head_position())


async def test_lists_from_the_read_tables_agree_with_the_fold(client: Any, seeded: Seeded) -> None:
    """The current list (read tables, after min_position) and the on-the-fly fold at the same
    moment give the same lines, for every filter the scenario can exercise."""
    position = await head(seeded)
    for filters in (
        {"promisor": "taliban"},
        {"promisee": "united-states"},
        {"agreement": "doha-2020"},
        {"verdict": "breached"},
        {"schedule": "met_late"},
        {},
    ):
        current = await get(client, "/v1/commitments", min_position=position, **filters)
        folded = await get(client, "/v1/commitments", as_of=current["as_of"], **filters)
        assert current["commitments"] and current["commitments"] == folded["commitments"], filters
    taliban = await get(client, "/v1/commitments", promisor="taliban", min_position=position)
    lines = {c["id"]: (c["verdict"], c["schedule"]) for c in taliban["commitments"]}
    assert lines == {
        "taliban-afghan-settlement": ("stalled", "no_deadline"),
        "taliban-al-qaeda": ("breached", "no_deadline"),
        "taliban-stop-attacks": ("breached", "no_deadline"),
    }


async def test_list_pages_and_filters_as_of_a_date(client: Any, seeded: Seeded) -> None:
    times = {"as_of": "2021-03-01", "known_at": seeded.k2}
    first = await get(client, "/v1/commitments", limit="2", **times)
    assert [c["id"] for c in first["commitments"]] == [
        "allied-withdrawal",
        "austin-no-unilateral-withdrawal",
    ]
    assert first["next"] == "austin-no-unilateral-withdrawal"
    second = await get(client, "/v1/commitments", limit="2", after=first["next"], **times)
    assert [c["id"] for c in second["commitments"]] == [
        "taliban-afghan-settlement",
        "taliban-al-qaeda",
    ]
    breached = await get(client, "/v1/commitments", verdict="breached", **times)
    assert [c["id"] for c in breached["commitments"]] == [
        "taliban-al-qaeda",
        "taliban-stop-attacks",
    ]
    before = await get(client, "/v1/commitments", as_of="2021-02-17", known_at=seeded.k2)
    assert "austin-no-unilateral-withdrawal" not in [c["id"] for c in before["commitments"]]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("verdict=kept", "verdict"),
        ("schedule=soon", "schedule"),
        ("min_position=-1", "min_position"),
        ("as_of=someday", "as_of"),
        ("limit=0", "limit"),
    ],
)
async def test_list_bad_parameters_are_400(client: Any, query: str, parameter: str) -> None:
    response = await client.get(f"/v1/commitments?{query}")
    problem = await response.json(content_type=None)
    assert response.status == 400 and problem["parameter"] == parameter


async def test_party_compliance_as_of_and_now(client: Any, seeded: Seeded) -> None:
    march = await get(
        client, "/v1/parties/taliban/compliance", as_of="2021-03-01", known_at=seeded.k2
    )
    assert (march["total"], march["kept_ratio"]) == (3, 0.0)
    assert (march["verdicts"]["breached"], march["verdicts"]["stalled"]) == (2, 1)
    assert march["schedules"]["no_deadline"] == 3 and len(march["commitments"]) == 3
    now = await get(client, "/v1/parties/taliban/compliance", min_position=await head(seeded))
    assert {k: now[k] for k in ("total", "verdicts", "schedules", "kept_ratio")} == {
        k: march[k] for k in ("total", "verdicts", "schedules", "kept_ratio")
    }
    us = await get(client, "/v1/parties/united-states/compliance", min_position=await head(seeded))
    assert (us["verdicts"]["fulfilled"], us["kept_ratio"]) == (2, 1.0)
    assert us["schedules"]["met_late"] == 1
    early = await get(client, "/v1/parties/united-states/compliance", as_of="2020-03-01")
    assert early["total"] == 1 and early["kept_ratio"] is None


async def test_agreement_compliance_per_promisor(client: Any, seeded: Seeded) -> None:
    march = await get(
        client, "/v1/agreements/doha-2020/compliance", as_of="2021-03-01", known_at=seeded.k2
    )
    assert sorted(march["promisors"]) == ["taliban", "united-states"]
    assert march["promisors"]["united-states"]["verdicts"]["in_progress"] == 1
    assert march["overall"]["total"] == 4
    now = await get(client, "/v1/agreements/doha-2020/compliance", min_position=await head(seeded))
    assert now["promisors"]["united-states"]["verdicts"]["fulfilled"] == 1
    assert now["overall"]["total"] == 4 and len(now["commitments"]) == 4
    paged = await get(client, "/v1/agreements/doha-2020/compliance", limit="3", as_of="2021-03-01")
    assert len(paged["commitments"]) == 3
    assert paged["next"].startswith("/v1/commitments?agreement=doha-2020&after=taliban-al-qaeda")


async def test_compliance_unhappy_paths(client: Any, seeded: Seeded) -> None:
    await get(client, "/v1/parties/nobody/compliance", 404)
    await get(client, "/v1/agreements/nothing/compliance", 404)
    await get(client, "/v1/parties/taliban/compliance", 400, known_at="never")
    late = int(await head(seeded)) + 1000
    problem = await get(
        client, "/v1/parties/taliban/compliance", 503, min_position=str(late), wait="0"
    )
    assert problem["min_position"] == late and problem["checkpoint"] < late
