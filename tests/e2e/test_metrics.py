"""GET /metrics as Prometheus scrapes it: requests by route template, appends, lags, the pool."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.app import create_app
from service.config import Settings
from service.store.memory import MemoryStore
from tests.ledger_support import LedgerEnv, ledger_env
from tests.support import wait_for


@pytest.fixture
async def env(server_dsn: str, tmp_path: Path) -> AsyncIterator[LedgerEnv]:
    async with ledger_env(server_dsn, tmp_path) as env:
        yield env


async def scrape(client: Any) -> dict[str, list[Any]]:
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    samples: dict[str, list[Any]] = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


def value(samples: dict[str, list[Any]], name: str, **labels: str) -> float:
    found = [s.value for s in samples.get(name, []) if labels.items() <= s.labels.items()]
    assert found, f"no {name} {labels} in {sorted(samples)}"
    return float(sum(found))


async def test_requests_are_counted_by_route_template_never_raw_path(
    aiohttp_client: Any, env: LedgerEnv
) -> None:
    client = await aiohttp_client(env.app())
    for name in ("metrics-a", "metrics-b"):
        assert (await client.get(f"/v1/commitments/{name}")).status == 404
    assert (await client.get("/no/such/page")).status == 404
    samples = await scrape(client)
    route = {"route": "/v1/commitments/{id}", "method": "GET", "status": "404"}
    assert value(samples, "pledger_http_requests_total", **route) >= 2
    assert value(samples, "pledger_http_request_duration_seconds_count", **route) >= 2
    assert value(samples, "pledger_http_request_duration_seconds_bucket", le="+Inf", **route) >= 2
    assert value(samples, "pledger_http_requests_total", route="unmatched", status="404") >= 1
    paths = {s.labels["route"] for s in samples["pledger_http_requests_total"]}
    assert not any("metrics-a" in p or p.startswith("/no/") for p in paths)


async def test_appends_lags_checkpoint_and_pool_are_exposed(
    aiohttp_client: Any, env: LedgerEnv
) -> None:
    client = await aiohttp_client(env.app())
    before = value(await scrape(client), "pledger_append_batch_events_count")
    await env.append(3)
    await env.wait_for_checkpoint(await _head(client))
    samples = await scrape(client)
    assert value(samples, "pledger_append_batch_events_count") > before
    assert value(samples, "pledger_append_batch_duration_seconds_count") > before
    assert value(samples, "pledger_database_up") == 1
    assert value(samples, "pledger_log_head_position") >= 3
    assert value(samples, "pledger_tree_lag_events") == 0
    assert value(samples, "pledger_checkpoint_age_seconds") >= 0
    # No projector runs in this app: everything written is lag, and it has an age.
    assert value(samples, "pledger_projector_lag_events") >= 3
    assert value(samples, "pledger_projector_lag_seconds") > 0
    assert value(samples, "pledger_db_pool_connections", state="in_use") >= 0
    assert value(samples, "pledger_db_pool_connections", state="free") >= 1
    assert value(samples, "pledger_sse_streams_open") == 0


async def test_an_open_live_stream_is_counted(aiohttp_client: Any) -> None:
    client = await aiohttp_client(create_app(Settings(access_log=False), store=MemoryStore()))
    stream = await client.get("/v1/events/live")
    try:
        assert stream.status == 200

        async def counted() -> bool:
            return value(await scrape(client), "pledger_sse_streams_open") == 1

        await wait_for(counted)
    finally:
        stream.close()


async def _head(client: Any) -> int:
    return int(value(await scrape(client), "pledger_log_head_position"))
