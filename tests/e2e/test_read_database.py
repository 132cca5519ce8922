"""PLEDGER_READ_DATABASE_URL: lists and compliance read the read tables there, and min_position
is checked against that copy, so a lagging replica answers 503 rather than a stale page.

No streaming replica runs here: "the replica" is the same database (a replica that has caught
up), or another database whose read tables never advance (a replica far behind).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from service.app import create_app
from service.config import Settings
from service.projections.background import projector_background
from tests.auth_support import admin_headers
from tests.commitments_support import commitment, get
from tests.conftest import drop_database, fresh_database


@pytest.fixture
async def behind(server_dsn: str) -> AsyncIterator[str]:
    """A migrated database whose read tables stay at position 0."""
    dsn = await fresh_database(server_dsn, "pledger_replica")
    yield dsn
    await drop_database(server_dsn, dsn)


async def _client(aiohttp_client: Any, settings: Settings, read_url: str) -> Any:
    settings = settings.model_copy(update={"read_database_url": read_url})
    app = create_app(settings, background=(projector_background(settings),))
    return await aiohttp_client(app, headers=await admin_headers(settings.database_url))


async def test_reads_with_min_position_on_a_caught_up_copy(
    aiohttp_client: Any, settings: Settings
) -> None:
    assert settings.database_url
    client = await _client(aiohttp_client, settings, settings.database_url)
    body = await commitment(client)
    promisor = body["promisor"]
    written = await get(client, f"/v1/commitments/{body['id']}")
    position = str(written["status"]["last_position"])
    listed = await get(client, "/v1/commitments", promisor=promisor, min_position=position)
    assert [c["id"] for c in listed["commitments"]] == [body["id"]]
    tally = await get(client, f"/v1/parties/{promisor}/compliance", min_position=position)
    assert tally["total"] == 1


async def test_a_copy_that_lags_answers_503_for_min_position_and_its_own_state_without(
    aiohttp_client: Any, settings: Settings, behind: str
) -> None:
    client = await _client(aiohttp_client, settings, behind)
    body = await commitment(client)
    written = await get(client, f"/v1/commitments/{body['id']}")  # from the log: always fresh
    position = str(written["status"]["last_position"])
    problem = await get(client, "/v1/commitments", 503, min_position=position, wait="0")
    assert problem["checkpoint"] == 0  # the read copy's checkpoint, not the primary's
    lagging = await get(client, f"/v1/parties/{body['promisor']}/compliance")
    assert lagging["total"] == 0  # what the copy holds: it has not seen the commitment yet
