"""Liveness (the process answers) and readiness (database reachable, schema up to date)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from service.api.keys import POOL
from service.api.rendering import json_response
from service.store import migrations
from service.store.errors import CONNECTION_ERRORS


async def healthz(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    pool: Any = request.app[POOL]
    if pool is None:
        return json_response({"status": "ready", "database": "memory"})
    try:
        async with pool.acquire(timeout=2) as conn:
            missing = await migrations.pending(conn)
    except CONNECTION_ERRORS as e:
        return json_response(
            {"status": "unavailable", "database": f"unreachable: {type(e).__name__}"}, status=503
        )
    if missing:
        names = [m.name for m in missing]
        return json_response({"status": "unavailable", "pending_migrations": names}, status=503)
    return json_response({"status": "ready", "database": "ok"})
