"""Rate limits: a token bucket per client (the authenticated principal, else the address);
past it a request is 429 with Retry-After and RateLimit-* headers (docs/security.md)."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from service.api.auth import client_key
from service.api.keys import SETTINGS
from service.api.problems import problem

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Probes and scrapes are never limited: an orchestrator must always see the truth.
EXEMPT = ("/healthz", "/readyz", "/metrics")
MAX_CLIENTS = 10_000  # buckets kept; the least recently seen go first (a full bucket anyway)


class TokenBuckets:
    """`rate` tokens a second up to `burst`, per key; memory bounded by MAX_CLIENTS."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str, now: float) -> tuple[bool, int, float]:
        """(allowed, tokens left, seconds until one more token)."""
        tokens, last = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[key] = (tokens, now)  # re-inserted: the dict's order is recency
        if len(self._buckets) > MAX_CLIENTS:
            del self._buckets[next(iter(self._buckets))]
        wait = 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate
        return allowed, int(tokens), wait


BUCKETS = web.AppKey("rate_limit_buckets", TokenBuckets)


@web.middleware
async def rate_limit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    buckets = request.app.get(BUCKETS)
    if buckets is None or request.path in EXEMPT:
        return await handler(request)
    allowed, left, wait = buckets.take(client_key(request), time.monotonic())
    headers = {
        "RateLimit-Limit": str(buckets.burst),
        "RateLimit-Remaining": str(left),
        "RateLimit-Reset": str(math.ceil(wait)),
    }
    if not allowed:
        limit = request.app[SETTINGS].rate_limit_per_second
        refused = problem(
            429,
            "rate-limited",
            "Too many requests",
            f"this client may make {limit:g} requests a second (bursts of {buckets.burst})",
            instance=request.path,
        )
        refused.headers.update(headers)
        refused.headers["Retry-After"] = str(max(1, math.ceil(wait)))
        return refused
    response = await handler(request)
    if not response.prepared:
        response.headers.update(headers)
    return response


def setup_rate_limits(app: web.Application) -> None:
    settings = app[SETTINGS]
    if settings.rate_limit_per_second > 0:
        app[BUCKETS] = TokenBuckets(settings.rate_limit_per_second, settings.rate_limit_burst)
