"""Rules v2 through the real app: party dissolutions, agreements, basis in status, lists and
tallies, folded (the read tables' equality with the fold is tests/integration's). Writers are
an administrator here (no `recorded_by`), so relief binds and any dissolution counts; the fold's
handling of writers is tested in tests/unit."""

from __future__ import annotations

from typing import Any

import pytest

from service.app import create_app
from tests.auth_support import admin_headers
from tests.commitments_support import SOURCE, assessment, commitment, get, party, post, slug


@pytest.fixture
async def client(aiohttp_client: Any, settings: Any, pg_store: Any) -> Any:
    """An administrator's client: its writes carry no `recorded_by`, so they fold as legacy."""
    headers = await admin_headers(settings.database_url)
    return await aiohttp_client(create_app(settings, store=pg_store), headers=headers)


def dissolution(occurred_at: str = "2021-03-01") -> dict[str, Any]:
    return {"type": "party_dissolved", "occurred_at": occurred_at, "source": SOURCE}


async def test_a_party_is_dissolved_once_and_shows_when_it_ceased(client: Any) -> None:
    party_id = await party(client)
    assert (await get(client, f"/v1/parties/{party_id}"))["ceased_at"] is None
    written = await post(client, f"/v1/parties/{party_id}/events", dissolution())
    assert written["party"] == party_id and written["type"] == "party_dissolved"
    assert written["version"] == 2
    now = await get(client, f"/v1/parties/{party_id}")
    assert now["ceased_at"] == "2021-03-01T00:00:00.000000Z"
    before = await get(client, f"/v1/parties/{party_id}", as_of="2021-02-28")
    assert before["ceased_at"] is None
    again = await post(client, f"/v1/parties/{party_id}/events", dissolution("2021-04-01"), 409)
    assert again["type"].endswith("/already-dissolved")
    correction = {"type": "correction_recorded", "corrects": written["event_id"], "reason": "no"}
    await post(client, f"/v1/parties/{party_id}/events", correction)
    assert (await get(client, f"/v1/parties/{party_id}"))["ceased_at"] is None
    await post(client, f"/v1/parties/{party_id}/events", dissolution("2021-04-01"))


async def test_party_event_unhappy_paths(client: Any) -> None:
    nobody = slug("nobody")
    await post(client, f"/v1/parties/{nobody}/events", dissolution(), 404)
    await get(client, f"/v1/parties/{nobody}", 404)
    party_id = await party(client)
    bad = await post(client, f"/v1/parties/{party_id}/events", {"type": "withdrawn"}, 422)
    assert bad["field"] == "type"
    missing = {"type": "party_dissolved", "occurred_at": "2021-03-01"}
    assert (await post(client, f"/v1/parties/{party_id}/events", missing, 422))["field"] == "source"
    stray = {"type": "correction_recorded", "corrects": slug("x"), "reason": "no"}
    assert (await post(client, f"/v1/parties/{party_id}/events", stray, 422))["field"] == "corrects"
    await get(client, f"/v1/parties/{party_id}", 400, as_of="yesterday")


async def test_a_dissolved_promisor_lapses_its_open_commitments(client: Any) -> None:
    made = await commitment(client, due_by="2021-09-30")
    url = f"/v1/commitments/{made['id']}/status"
    await post(client, f"/v1/parties/{made['promisor']}/events", dissolution("2021-04-01"))
    status = await get(client, url)
    assert (status["verdict"], status["schedule"], status["basis"]) == ("lapsed", "closed", "none")
    assert status["closure"]["type"] == "promisor_dissolved"
    assert status["closure"]["at"] == "2021-04-01T00:00:00.000000Z"
    assert (await get(client, url, as_of="2021-03-31"))["verdict"] == "not_assessed"
    listed = await get(client, "/v1/commitments", promisor=made["promisor"], known_at="2099-01-01")
    assert [(c["id"], c["verdict"], c["basis"]) for c in listed["commitments"]] == [
        (made["id"], "lapsed", "none")
    ]


async def test_status_lists_and_tallies_show_the_basis(client: Any) -> None:
    made = await commitment(client)
    promisor = made["promisor"]
    url = f"/v1/commitments/{made['id']}/events"
    await post(client, url, assessment(promisor, "fulfilled", strength="verified"))
    status = await get(client, f"/v1/commitments/{made['id']}/status")
    assert (status["verdict"], status["basis"]) == ("fulfilled", "self_reported")
    mine = status["assessments"][0]
    assert (mine["stated_strength"], mine["strength"], mine["self_assessment"]) == (
        "verified",
        "claimed",
        True,
    )
    assert mine["recorded_by"] is None and status["requests"] == [] and status["closure"] is None
    tally = await get(client, f"/v1/parties/{promisor}/compliance", known_at="2099-01-01")
    assert tally["kept_ratio"] is None and tally["unverified_outcomes"] == 1
    assert tally["bases"] == {"independent": 0, "claimed": 0, "self_reported": 1, "none": 0}
    for basis, ids in (("self_reported", [made["id"]]), ("independent", [])):
        folded = await get(
            client, "/v1/commitments", promisor=promisor, basis=basis, as_of="2030-01-01"
        )
        assert [c["id"] for c in folded["commitments"]] == ids
    await get(client, "/v1/commitments", 400, basis="hearsay")


async def test_an_agreement_must_name_a_relief_event_by_the_promisor(client: Any) -> None:
    made = await commitment(client)
    url = f"/v1/commitments/{made['id']}/events"
    change = {"type": "deadline_changed", "due_by": "2021-12-31", "occurred_at": "2021-03-01",
              "source": SOURCE}  # fmt: skip
    legacy = await post(client, url, change)
    agree = {"type": "change_agreed", "agrees": legacy["event_id"], "occurred_at": "2021-03-02",
             "source": SOURCE}  # fmt: skip
    refused = await post(client, url, agree, 422)
    assert refused["field"] == "agrees"  # written by no one: it binds already, nothing to agree
    unknown = await post(client, url, agree | {"agrees": slug("x")}, 422)
    assert unknown["field"] == "agrees"
