"""Compliance of a party (the commitments it made) and of an agreement (per promisor).

The tally counts every commitment that exists at (as_of, known_at); the list beside it holds the
first `limit` of them by id, and `next` continues it through GET /v1/commitments.
"""

from __future__ import annotations

from aiohttp import web

from service.api.inputs import query_times
from service.api.keys import READ_MODEL, STORE
from service.api.params import ReadSideParams
from service.api.table import Reply, page_size, params
from service.commitments.queries import first_event
from service.domain import events as ev
from service.domain.errors import EntityNotFound
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
    at = query_times(q.as_of, q.known_at)
    limit = page_size(request, q.limit)
    stream = ev.party_stream(entity_id) if kind == "party" else ev.agreement_stream(entity_id)
    if await first_event(request.app[STORE], stream) is None:
        raise EntityNotFound(kind, entity_id)
    reads = request.app[READ_MODEL]
    if q.min_position:
        await reads.wait_for(q.min_position, q.wait)
    if kind == "party":
        tally, listed = await reads.party_compliance(entity_id, at, limit + 1)
    else:
        tally, listed = await reads.agreement_compliance(entity_id, at, limit + 1)
    page = listed[:limit]
    next_url = None
    if len(listed) > limit:
        query = {filter_name: entity_id, "after": page[-1]["id"], "limit": str(limit)}
        query |= {k: v for k, v in request.query.items() if k in ("as_of", "known_at")}
        next_url = str(request.app.router["listCommitments"].url_for().with_query(query))
    body = {
        kind: entity_id,
        "as_of": format_time(at.as_of),
        "known_at": format_time(at.known_at),
        **tally,
        "commitments": page,
        "next": next_url,
    }
    return Reply(body)
