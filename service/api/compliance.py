"""Compliance of a party (the commitments it made) and of an agreement (per promisor).

The tally counts every commitment that exists at (as_of, known_at); the list beside it holds the
first `limit` of them by id, and `next` continues it through GET /v1/commitments.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from service.api import readside
from service.api.inputs import query_times
from service.api.keys import POOL, STORE
from service.api.params import ReadSideParams
from service.api.table import Reply, page_size, params
from service.commitments.queries import first_event, load_statuses
from service.domain import events as ev
from service.domain.errors import EntityNotFound
from service.domain.tallies import agreement_compliance, party_compliance
from service.log.records import format_time


async def party(request: web.Request) -> Reply:
    """Counts per verdict and schedule, kept_ratio and the list, over the commitments it made."""
    return await _compliance(request, "party", "promisor")


async def agreement(request: web.Request) -> Reply:
    """The same over the agreement's commitments, overall and per promisor."""
    return await _compliance(request, "agreement", "agreement")


async def _compliance(request: web.Request, kind: str, filter_name: str) -> Reply:
    entity_id = request.match_info["id"]
    q = params(request, ReadSideParams)
    as_of, known_at, given = query_times(q.as_of, q.known_at)
    limit = page_size(request, q.limit)
    stream = ev.party_stream(entity_id) if kind == "party" else ev.agreement_stream(entity_id)
    if await first_event(request.app[STORE], stream) is None:
        raise EntityNotFound(kind, entity_id)
    await readside.await_min_position(request, q.min_position, q.wait)
    filters = {filter_name: entity_id}
    if readside.uses_read_tables(request, given):
        tally, listed = await _from_read_tables(request, kind, filters, as_of, limit)
    else:
        tally, listed = await _folded(request, kind, filters, as_of, known_at)
    page = listed[:limit]
    next_url = None
    if len(listed) > limit:
        query = {**filters, "after": page[-1]["id"], "limit": str(limit)}
        query |= {k: v for k, v in request.query.items() if k in ("as_of", "known_at")}
        next_url = str(request.app.router["listCommitments"].url_for().with_query(query))
    body = {
        kind: entity_id,
        "as_of": format_time(as_of),
        "known_at": format_time(known_at),
        **tally,
        "commitments": page,
        "next": next_url,
    }
    return Reply(body)


async def _from_read_tables(
    request: web.Request, kind: str, filters: dict[str, str], now: datetime, limit: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from service.projections import queries as read_tables

    pool = request.app[POOL]
    entity_id = next(iter(filters.values()))
    if kind == "party":
        tally = await read_tables.party_tally(pool, entity_id, now)
    else:
        tally = await read_tables.agreement_tally(pool, entity_id, now)
    listed = await read_tables.list_current(
        pool,
        promisor=filters.get("promisor"),
        agreement=filters.get("agreement"),
        now=now,
        limit=limit + 1,
    )
    return tally, listed


async def _folded(
    request: web.Request,
    kind: str,
    filters: dict[str, str],
    as_of: datetime,
    known_at: datetime,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    ids = await readside.candidates(
        request, promisor=filters.get("promisor"), agreement=filters.get("agreement")
    )
    statuses = await load_statuses(request.app[STORE], ids, as_of, known_at)
    present = [s for s in statuses if s is not None]
    tally = party_compliance(present) if kind == "party" else agreement_compliance(present)
    return tally.to_json(), [readside.summary(s) for s in present]
