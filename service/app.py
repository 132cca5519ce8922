"""Composition root: the only place that wires PostgreSQL into the API."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from service.api.guards import guard_middleware, setup_guards
from service.api.keys import EVENT_SOURCE, POOL, SETTINGS, STORE
from service.api.metrics import metrics_middleware, setup_metrics
from service.api.problems import problem_middleware, request_log_middleware
from service.api.routes import setup_routes
from service.config import Settings
from service.ledger.background import ledger_background
from service.ledger.signing import event_source
from service.projections.background import projector_background
from service.relay.background import relay_background
from service.store.bootstrap import open_store
from service.store.ports import EventStore
from service.web.routes import setup_pages

log = logging.getLogger(__name__)

# Background parts (projector, tree builder, ...) register here: each is a cleanup_ctx
# function that starts after the store is open and stops before it closes.
Background = Callable[[web.Application], AsyncIterator[None]]


def create_app(
    settings: Settings,
    *,
    store: EventStore | None = None,
    pool: Any = None,
    background: tuple[Background, ...] = (),
) -> web.Application:
    """Build the app. With no store, it opens a pool on settings.database_url at start-up."""
    app = web.Application(
        middlewares=[
            metrics_middleware,
            request_log_middleware,
            problem_middleware,
            guard_middleware,
        ],
        client_max_size=settings.max_body_bytes,
    )
    app[SETTINGS] = settings
    app[EVENT_SOURCE] = event_source(settings)
    if store is None:
        app.cleanup_ctx.append(_postgres_store)
    else:
        app[STORE] = store
        app[POOL] = pool if pool is not None else getattr(store, "pool", None)
    for part in background:
        app.cleanup_ctx.append(part)
    setup_guards(app)
    setup_routes(app)
    setup_metrics(app)
    setup_pages(app)
    return app


async def _postgres_store(app: web.Application) -> AsyncIterator[None]:
    async with open_store(app[SETTINGS]) as store:
        app[POOL] = store.pool
        app[STORE] = store
        yield


def default_background(settings: Settings) -> tuple[Background, ...]:
    """Every worker a production server runs beside the API; none on API-only replicas."""
    if not settings.workers:
        return ()
    parts = [ledger_background(settings), projector_background(settings)]
    if settings.nats_url:
        parts.append(relay_background(settings))
    return tuple(parts)
