"""Liveness (the process answers) and readiness (database reachable, schema up to date)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib.resources.abc import Traversable
from typing import Any

from aiohttp import web

from service.api.keys import READINESS
from service.api.table import Reply
from service.ledger.alarms import ALARMS
from service.store import migrations
from service.store.errors import CONNECTION_ERRORS

Readiness = Callable[[], Awaitable[tuple[dict[str, Any], int]]]


async def healthz(request: web.Request) -> Reply:
    return Reply({"status": "ok"})


async def readyz(request: web.Request) -> Reply:
    body, status = await request.app[READINESS]()
    alarms = request.app.get(ALARMS)
    if alarms is not None and status == 200:
        # Still ready to serve reads and writes; what the ledger found is for the operator.
        body["ledger"] = {"status": "alarm" if alarms.active else "ok", "alarms": alarms.to_json()}
    return Reply(body, status=status)


async def memory_readiness() -> tuple[dict[str, Any], int]:
    return {"status": "ready", "database": "memory"}, 200


def database_readiness(pool: Any, schema_dir: Traversable = migrations.SCHEMA_DIR) -> Readiness:
    """Ready when the database answers and every migration is applied."""

    async def check() -> tuple[dict[str, Any], int]:
        try:
            async with pool.acquire(timeout=2) as conn:
                missing = await migrations.pending(conn, schema_dir)
        except CONNECTION_ERRORS as e:
            return {"status": "unavailable", "database": f"unreachable: {type(e).__name__}"}, 503
        except migrations.MigrationError as e:
            # A broken install (no migration files) or a changed applied file: not ready.
            return {"status": "unavailable", "migrations": str(e)}, 503
        if missing:
            names = [m.name for m in missing]
            return {"status": "unavailable", "pending_migrations": names}, 503
        return {"status": "ready", "database": "ok"}, 200

    return check
