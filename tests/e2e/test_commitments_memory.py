"""Without PostgreSQL (the memory store) there are no read tables: lists and tallies are folded."""

from __future__ import annotations

from typing import Any

import pytest

from service.app import create_app
from service.auth.registry import MemoryRegistry
from service.store.memory import MemoryStore
from tests.auth_support import admin_headers
from tests.commitments_support import assessment, commitment, get, post


@pytest.fixture
async def client(aiohttp_client: Any, settings: Any) -> Any:
    registry = MemoryRegistry()
    headers = await admin_headers(registry)
    app = create_app(settings, store=MemoryStore(), registry=registry)
    return await aiohttp_client(app, headers=headers)


async def test_lists_and_compliance_fold_the_log(client: Any) -> None:
    body = await commitment(client, due_by="2021-05-01")
    promisor, promisee = body["promisor"], body["promisees"][0]
    url = f"/v1/commitments/{body['id']}/events"
    written = await post(client, url, assessment(promisee, "fulfilled", effective_at="2021-02-01"))
    position = str(written["position"])
    listed = await get(client, "/v1/commitments", promisor=promisor, min_position=position)
    assert [(c["id"], c["verdict"], c["schedule"]) for c in listed["commitments"]] == [
        (body["id"], "fulfilled", "met_on_time")
    ]
    tally = await get(client, f"/v1/parties/{promisor}/compliance", min_position=position)
    assert (tally["total"], tally["kept_ratio"]) == (1, 1.0)
    before = await get(client, f"/v1/parties/{promisor}/compliance", as_of="2021-01-01")
    assert (before["verdicts"]["not_assessed"], before["kept_ratio"]) == (1, None)
    ahead = str(written["position"] + 5)
    problem = await get(client, "/v1/commitments", 503, min_position=ahead, wait="0")
    assert problem["checkpoint"] == written["position"]
