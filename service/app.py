"""Composition root: the only place that wires PostgreSQL into the API and the workers.

It builds, once the store is open, what the views read through (the ReadModel: read tables
over PostgreSQL, the fold over any other store), the ledger's tree and the readiness check,
and starts the workers with their dependencies; nothing below the API imports service/api.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from aiohttp import web

from service.api.auth import auth_middleware
from service.api.cors import setup_cors
from service.api.guards import guard_middleware, setup_guards
from service.api.health import database_readiness, memory_readiness
from service.api.keys import (
    AUTH,
    EVENT_SOURCE,
    POOL,
    READ_MODEL,
    READINESS,
    SETTINGS,
    STORE,
    TREE,
)
from service.api.metrics import metrics_middleware, setup_metrics
from service.api.problems import problem_middleware, request_log_middleware
from service.api.ratelimit import rate_limit_middleware, setup_rate_limits
from service.api.routes import setup_routes
from service.auth.cache import Authenticator
from service.auth.registry import MemoryRegistry, PostgresRegistry, Registry
from service.commitments.readmodel import FoldedReadModel
from service.config import Settings
from service.ledger.alarms import ALARMS, LedgerAlarms
from service.ledger.background import ledger_background
from service.ledger.signing import event_source
from service.ledger.tree_store import TreeStore
from service.projections.background import projector_background
from service.projections.readmodel import TableReadModel
from service.relay.background import relay_background
from service.store.bootstrap import open_store
from service.store.database import create_pool
from service.store.ports import EventStore
from service.store.postgres import PostgresStore
from service.web.routes import setup_pages
from service.webhooks.background import deliverer_background

log = logging.getLogger(__name__)

# A worker beside the API (projector, tree builder, ...): given the store and the PostgreSQL
# pool (None over another store), it runs while the context is open.
Background = Callable[[EventStore, Any], AbstractAsyncContextManager[None]]


def create_app(
    settings: Settings,
    *,
    store: EventStore | None = None,
    pool: Any = None,
    background: tuple[Background, ...] = (),
    registry: Registry | None = None,
) -> web.Application:
    """Build the app. With no store, it opens a pool on settings.database_url at start-up.

    Principals and tokens live beside the store: in PostgreSQL with a pool, else in `registry`
    (a MemoryRegistry by default) for the memory store.
    """
    app = web.Application(
        middlewares=[
            metrics_middleware,
            request_log_middleware,
            problem_middleware,
            rate_limit_middleware,
            guard_middleware,
            auth_middleware,
        ],
        client_max_size=settings.max_body_bytes,
    )
    app[SETTINGS] = settings
    app[EVENT_SOURCE] = event_source(settings)
    if store is None:
        app.cleanup_ctx.append(_postgres_store)
    else:
        if pool is None and isinstance(store, PostgresStore):
            pool = store.pool
        _wire(app, store, pool)
    if settings.read_database_url:
        app.cleanup_ctx.append(_read_database)
    app.cleanup_ctx.append(_authenticator(registry))
    for part in background:
        app.cleanup_ctx.append(_worker(part))
        alarms = getattr(part, "alarms", None)
        if isinstance(alarms, LedgerAlarms):
            app[ALARMS] = alarms
    setup_guards(app)
    setup_rate_limits(app)
    setup_routes(app)
    setup_metrics(app)
    setup_cors(app, settings.cors_origins)
    setup_pages(app)
    return app


def _wire(app: web.Application, store: EventStore, pool: Any) -> None:
    """Choose, once, how the API reads: read tables with a pool, the fold without."""
    app[STORE] = store
    app[POOL] = pool
    if pool is None:
        app[READ_MODEL] = FoldedReadModel(store)
        app[TREE] = None
        app[READINESS] = memory_readiness
    else:
        app[READ_MODEL] = TableReadModel(store, pool)
        app[TREE] = TreeStore(pool)
        app[READINESS] = database_readiness(pool)


async def _postgres_store(app: web.Application) -> AsyncIterator[None]:
    async with open_store(app[SETTINGS]) as store:
        _wire(app, store, store.pool)
        yield


async def _read_database(app: web.Application) -> AsyncIterator[None]:
    """Reads that tolerate lag on PLEDGER_READ_DATABASE_URL (e.g. a streaming replica): the read
    tables and the min_position wait on their checkpoint there; the log stays on the primary."""
    settings = app[SETTINGS]
    if app[POOL] is None or not settings.read_database_url:
        log.warning("PLEDGER_READ_DATABASE_URL needs PostgreSQL as the store; not used")
        yield
        return
    pool = await create_pool(
        settings.read_database_url,
        role=settings.db_role,
        min_size=min(settings.pool_min_size, settings.pool_max_size),
        max_size=settings.pool_max_size,
        timeout=settings.db_timeout_seconds,
    )
    app[READ_MODEL] = TableReadModel(app[STORE], pool)
    try:
        yield
    finally:
        await pool.close()


def _authenticator(registry: Registry | None) -> Callable[[web.Application], AsyncIterator[None]]:
    """The token cache every request is checked against, kept fresh by NOTIFY pledger_auth."""

    async def run(app: web.Application) -> AsyncIterator[None]:
        pool = app[POOL]
        chosen = registry or (MemoryRegistry() if pool is None else PostgresRegistry(pool))
        settings = app[SETTINGS]
        dsn = settings.database_url if pool is not None else None
        auth = Authenticator(chosen, app[STORE], dsn, settings.auth_refresh_seconds)
        await auth.start()
        app[AUTH] = auth
        try:
            yield
        finally:
            await auth.close()

    return run


def _worker(part: Background) -> Callable[[web.Application], AsyncIterator[None]]:
    async def run(app: web.Application) -> AsyncIterator[None]:
        async with part(app[STORE], app[POOL]):
            yield

    return run


def default_background(settings: Settings) -> tuple[Background, ...]:
    """Every worker a production server runs beside the API; none on API-only replicas."""
    if not settings.workers:
        return ()
    parts = [
        ledger_background(settings),
        projector_background(settings),
        deliverer_background(settings),
    ]
    if settings.nats_url:
        parts.append(relay_background(settings))
    return tuple(parts)
