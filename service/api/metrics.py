"""GET /metrics (Prometheus text) and the middleware that times every request by route.

Lags, the pool and open streams are read when scraped, from the database and the app.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import asyncpg
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from service.api.keys import POOL
from service.api.sse import LIVE
from service.ledger.alarms import ALARM_NAMES, ALARMS
from service.observability.metrics import HTTP_DURATION, HTTP_REQUESTS, REGISTRY, Union
from service.store.errors import CONNECTION_ERRORS

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# One round trip: the head, the projector's position and the age of the first event it has not
# folded, the tree's size (its highest leaf: an index probe, not a count) and the newest
# checkpoint's age.
LAG_SQL = """
WITH head AS (SELECT coalesce(max(position), 0) AS p FROM events),
     folded AS (SELECT coalesce((SELECT c.position FROM projection_checkpoints c
                                   JOIN projection_generations g
                                     ON g.name = c.name AND g.live = c.generation
                                  WHERE c.name = 'commitments'), 0) AS p)
SELECT head.p AS head,
       folded.p AS folded,
       extract(epoch FROM clock_timestamp() - (SELECT e.recorded_at FROM events e
                                                WHERE e.position = folded.p + 1)) AS folded_age,
       coalesce((SELECT max(index) + 1 FROM merkle_nodes WHERE level = 0), 0) AS tree_size,
       extract(epoch FROM clock_timestamp() - (SELECT max(signed_at) FROM checkpoints))
           AS checkpoint_age,
       (SELECT max(position) FROM relay_checkpoints) AS relayed
  FROM head, folded
"""


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count and time each request under its route template, never its raw path (the label
    set must stay bounded: /v1/commitments/{id}, not one series per id)."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as e:
        status = e.status
        raise
    except asyncio.CancelledError:
        status = 499  # the client went away, or the server ended a stream at shutdown
        raise
    finally:
        labels = (_route(request), request.method, str(status))
        HTTP_REQUESTS.labels(*labels).inc()
        HTTP_DURATION.labels(*labels).observe(time.perf_counter() - started)


def _route(request: web.Request) -> str:
    info = request.match_info
    if info.http_exception is not None or info.route.resource is None:
        return "unmatched"
    return info.route.resource.canonical


async def metrics(request: web.Request) -> web.Response:
    live = await _live_metrics(request.app)
    body = generate_latest(Union(REGISTRY, _Fixed(live)))
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


class _Fixed:
    def __init__(self, metrics: list[Metric]) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        yield from self._metrics


async def _live_metrics(app: web.Application) -> list[Metric]:
    found: list[Metric] = []
    if LIVE in app:
        found.append(_gauge("pledger_sse_streams_open", "Open /v1/events/live streams.",
                            len(app[LIVE].tasks)))  # fmt: skip
    alarms = app.get(ALARMS)
    if alarms is not None:
        raised = GaugeMetricFamily(
            "pledger_ledger_alarm", "1 while the ledger alarm is raised (docs/ledger.md).",
            labels=["alarm"],
        )  # fmt: skip
        for name in ALARM_NAMES:
            raised.add_metric([name], 1 if name in alarms.active else 0)
        found.append(raised)
    pool: Any = app.get(POOL)
    if pool is None:
        return found
    in_use = pool.get_size() - pool.get_idle_size()
    connections = GaugeMetricFamily(
        "pledger_db_pool_connections", "Database pool connections by state.", labels=["state"]
    )
    connections.add_metric(["in_use"], in_use)
    connections.add_metric(["free"], pool.get_max_size() - in_use)
    found.append(connections)
    found.extend(await _lag_metrics(pool))
    return found


async def _lag_metrics(pool: Any) -> list[Metric]:
    try:
        async with pool.acquire(timeout=2) as conn:
            row = await conn.fetchrow(LAG_SQL, timeout=2)
    except (*CONNECTION_ERRORS, asyncpg.PostgresError) as e:
        log.warning("metrics: the database cannot be read: %s", e)
        return [_gauge("pledger_database_up", "Whether the lag query answered.", 0)]
    head = int(row["head"])
    found: list[Metric] = [
        _gauge("pledger_database_up", "Whether the lag query answered.", 1),
        _gauge("pledger_log_head_position", "The last position in the event log.", head),
        _gauge("pledger_projector_lag_events", "Events not yet folded into the read tables.",
               head - int(row["folded"])),
        _gauge("pledger_projector_lag_seconds",
               "Age of the oldest event not yet folded (0 when caught up).",
               float(row["folded_age"] or 0)),
        _gauge("pledger_tree_lag_events", "Events not yet in the Merkle tree.",
               head - int(row["tree_size"])),
    ]  # fmt: skip
    if row["relayed"] is not None:  # a relay has run against this database
        found.append(_gauge("pledger_relay_lag_events",
                            "Events JetStream has not acknowledged yet.",
                            head - int(row["relayed"])))  # fmt: skip
    if row["checkpoint_age"] is not None:
        found.append(_gauge("pledger_checkpoint_age_seconds",
                            "Time since the newest signed checkpoint.",
                            float(row["checkpoint_age"])))  # fmt: skip
    return found


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def setup_metrics(app: web.Application) -> None:
    """GET /metrics; the middleware is put first in create_app so it times everything."""
    app.router.add_get("/metrics", metrics)
