"""Commitments: create, read with status, list, record evidence, status at (V, K), history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from service.api import readside
from service.api.inputs import context, if_match, json_body, query_times, written_headers
from service.api.keys import POOL, STORE
from service.api.params import CommitmentParams, HistoryParams, StatusParams
from service.api.table import Reply, page_size, params
from service.commitments import writes
from service.commitments.queries import (
    load_commitment,
    load_history,
    load_parties,
    load_status,
    status_of,
)
from service.domain import events as ev
from service.domain.commands import parse_body
from service.domain.errors import EntityNotFound
from service.domain.evidence import COMMITMENT, EVIDENCE
from service.log.records import format_time


async def post_commitment(request: web.Request) -> Reply:
    body = parse_body(COMMITMENT, await json_body(request))
    written = await writes.make_commitment(request.app[STORE], body, context(request))
    location = f"/v1/commitments/{body.id}"
    headers = written_headers(location, written.event.version, written.replayed)
    return Reply({**written.to_json(), "id": body.id}, headers=headers)


async def post_event(request: web.Request) -> Reply:
    """Evidence or a change; If-Match is the stream version (412 when it moved)."""
    commitment_id = request.match_info["id"]
    expected = if_match(request)
    body = parse_body(EVIDENCE, await json_body(request))
    store = request.app[STORE]
    written = await writes.record_evidence(
        store, commitment_id, body, context(request), if_match=expected
    )
    location = f"/v1/commitments/{commitment_id}"
    headers = written_headers(location, written.event.version, written.replayed)
    return Reply({**written.to_json(), "commitment": commitment_id}, headers=headers)


async def get_commitment(request: web.Request) -> Reply:
    """The commitment as made, its stream version (also the ETag) and its status now."""
    commitment_id = request.match_info["id"]
    events, linked = await load_commitment(request.app[STORE], commitment_id)
    made = next((e for e in events if e.type == ev.COMMITMENT_MADE), None)
    if made is None:
        raise EntityNotFound("commitment", commitment_id)
    parties = await load_parties(request.app[STORE], [events, *linked.values()])
    now = datetime.now(UTC)
    status = status_of(events, linked, parties, now, now)
    version = events[-1].version
    body = {
        **made.data,
        "event_id": str(made.event_id),
        "position": made.position,
        "recorded_at": format_time(made.recorded_at),
        "version": version,
        "status": status,
    }
    return Reply(body, headers={"ETag": f'"{version}"'})


async def get_status(request: web.Request) -> Reply:
    commitment_id = request.match_info["id"]
    query = params(request, StatusParams)
    as_of, known_at, _ = query_times(query.as_of, query.known_at)
    status = await load_status(request.app[STORE], commitment_id, as_of, known_at)
    if status is None:
        detail = (
            f"commitment {commitment_id!r} does not exist as of {format_time(as_of)}"
            f" known at {format_time(known_at)}"
        )
        raise EntityNotFound("commitment", commitment_id, detail)
    return Reply(status)


async def get_history(request: web.Request) -> Reply:
    commitment_id = request.match_info["id"]
    _, known_at, _ = query_times(None, params(request, HistoryParams).known_at)
    entries = await load_history(request.app[STORE], commitment_id, known_at)
    body = {"commitment": commitment_id, "known_at": format_time(known_at), "events": entries}
    return Reply(body)


def _filters(query: CommitmentParams) -> dict[str, Any]:
    return {
        "promisor": query.promisor or None,
        "promisee": query.promisee or None,
        "agreement": query.agreement or None,
    }


async def list_commitments(request: web.Request) -> Reply:
    """Paged by commitment id (`after`); current state from the read tables, else folded."""
    q = params(request, CommitmentParams)
    limit = page_size(request, q.limit)
    as_of, known_at, given = query_times(q.as_of, q.known_at)
    await readside.await_min_position(request, q.min_position, q.wait)
    query: dict[str, Any] = {"verdict": q.verdict, "basis": q.basis, "schedule": q.schedule}
    query |= {"after": q.after or None, "limit": limit + 1}
    if readside.uses_read_tables(request, given):
        from service.projections import queries as read_tables

        items = await read_tables.list_current(request.app[POOL], **_filters(q), **query, now=as_of)
    else:
        items = await _folded(request, _filters(q), as_of, known_at, **query)
    page, more = items[:limit], len(items) > limit
    next_after = page[-1]["id"] if more else None
    times = {"as_of": format_time(as_of), "known_at": format_time(known_at)}
    headers = {}
    if next_after is not None:
        url = request.rel_url.update_query(after=next_after, limit=limit)
        headers["Link"] = f'<{url}>; rel="next"'
    return Reply({**times, "commitments": page, "next": next_after}, headers=headers)


async def _folded(
    request: web.Request,
    filters: dict[str, Any],
    as_of: datetime,
    known_at: datetime,
    **query: Any,
) -> list[dict[str, Any]]:
    ids = await readside.candidates(request, **filters)
    statuses = await readside.fold_page(request, ids, as_of, known_at, **query)
    return [readside.summary(s) for s in statuses]
