"""Compliance of a party (the commitments it made) and of an agreement (per promisor)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from service.api import readside
from service.api.inputs import query_times
from service.api.keys import POOL, STORE
from service.api.rendering import json_response
from service.domain import events as ev
from service.domain.errors import EntityNotFound
from service.domain.records import format_time
from service.domain.tallies import agreement_compliance, party_compliance
from service.queries import first_event, load_statuses


async def _must_exist(request: web.Request, kind: str, stream_id: str, entity_id: str) -> None:
    if await first_event(request.app[STORE], stream_id) is None:
        raise EntityNotFound(kind, entity_id)


async def party(request: web.Request) -> web.Response:
    """Counts per verdict and schedule, kept_ratio and the list, over the commitments it made."""
    party_id = request.match_info["id"]
    as_of, known_at, given = query_times(request)
    await _must_exist(request, "party", ev.party_stream(party_id), party_id)
    await readside.await_min_position(request)
    times = {"party": party_id, "as_of": format_time(as_of), "known_at": format_time(known_at)}
    if readside.uses_read_tables(request, given):
        from service.projections import queries as read_tables

        tally = await read_tables.party_tally(request.app[POOL], party_id, as_of)
        return json_response({**times, **tally})
    ids = await readside.candidates(request, promisor=party_id)
    statuses = [s for s in await load_statuses(request.app[STORE], ids, as_of, known_at) if s]
    body: dict[str, Any] = {
        **times,
        **party_compliance(statuses).to_json(),
        "commitments": [readside.summary(s) for s in statuses],
    }
    return json_response(body)


async def agreement(request: web.Request) -> web.Response:
    """The same tally over the agreement's commitments, overall and per promisor."""
    agreement_id = request.match_info["id"]
    as_of, known_at, given = query_times(request)
    stream = ev.agreement_stream(agreement_id)
    await _must_exist(request, "agreement", stream, agreement_id)
    await readside.await_min_position(request)
    times = {
        "agreement": agreement_id,
        "as_of": format_time(as_of),
        "known_at": format_time(known_at),
    }
    if readside.uses_read_tables(request, given):
        from service.projections import queries as read_tables

        tally = await read_tables.agreement_tally(request.app[POOL], agreement_id, as_of)
        return json_response({**times, **tally})
    ids = await readside.candidates(request, agreement=agreement_id)
    statuses = [s for s in await load_statuses(request.app[STORE], ids, as_of, known_at) if s]
    body: dict[str, Any] = {
        **times,
        **agreement_compliance(statuses).to_json(),
        "commitments": [readside.summary(s) for s in statuses],
    }
    return json_response(body)
