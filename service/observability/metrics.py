"""The process's Prometheus metrics: what the API and the store count as they go.

Series read at scrape time (lags, pool, open streams) are in service/api/metrics.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.metrics_core import Metric

REGISTRY = CollectorRegistry()

# Latency buckets from a cached read (~1 ms) to a slow write under load (seconds).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

HTTP_REQUESTS = Counter(
    "pledger_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "pledger_http_request_duration_seconds",
    "Time from request to response, by route template, method and status.",
    ["route", "method", "status"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
APPEND_BATCH_EVENTS = Histogram(
    "pledger_append_batch_events",
    "Events written per append transaction (concurrent appends are grouped into one).",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000),
    registry=REGISTRY,
)
APPEND_BATCH_DURATION = Histogram(
    "pledger_append_batch_duration_seconds",
    "Time to write one append transaction, lock and commit included.",
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)


def record_append_batch(events: int, seconds: float) -> None:
    APPEND_BATCH_EVENTS.observe(events)
    APPEND_BATCH_DURATION.observe(seconds)


class Union:
    """Several collectors exposed as one registry (the process's and one app's)."""

    def __init__(self, *collectors: Any) -> None:
        self._collectors = collectors

    def collect(self) -> Iterator[Metric]:
        for collector in self._collectors:
            yield from collector.collect()
