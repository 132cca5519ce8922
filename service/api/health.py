"""Liveness (the process answers) and readiness (database reachable, schema up to date)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from service.api.keys import POOL
from service.api.table import Reply
from service.store import migrations
from service.store.errors import CONNECTION_ERRORS


async def healthz(request: web.Request) -> Reply:
    return Reply({"status": "ok"})


async def readyz(request: web.Request) -> Reply:
    pool: Any = request.app[POOL]
    if pool is None:
        return Reply({"status": "ready", "database": "memory"})
    try:
        async with pool.acquire(timeout=2) as conn:
            missing = await migrations.pending(conn)
    except CONNECTION_ERRORS as e:
        return Reply(
            {"status": "unavailable", "database": f"unreachable: {type(e).__name__}"}, status=503
        )
    if missing:
        names = [m.name for m in missing]
        return Reply({"status": "unavailable", "pending_migrations": names}, status=503)
    return Reply({"status": "ready", "database": "ok"})
