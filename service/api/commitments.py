"""Commitments: create, read with status, list, record evidence, status at (V, K), history."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from service.api.auth import writer
from service.api.inputs import context, if_match, json_body, query_times, written_headers
from service.api.keys import READ_MODEL, STORE
from service.api.params import CommitmentParams, HistoryParams, StatusParams
from service.api.table import Reply, page_size, params
from service.commitments import writes
from service.commitments.readmodel import Filters
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
    raw = await json_body(request)
    party = writer(request).party
    if isinstance(raw, dict) and raw.get("type") == ev.ASSESSMENT_RECORDED and party:
        raw.setdefault("assessor", party)  # a party's principal assesses as its party
    body = parse_body(EVIDENCE, raw)
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
    found = await request.app[READ_MODEL].commitment(commitment_id, datetime.now(UTC))
    if found is None:
        raise EntityNotFound("commitment", commitment_id)
    made = found.made
    body = {
        **made.data,
        "event_id": str(made.event_id),
        "position": made.position,
        "recorded_at": format_time(made.recorded_at),
        "version": found.version,
        "status": found.status,
    }
    return Reply(body, headers={"ETag": f'"{found.version}"'})


async def get_status(request: web.Request) -> Reply:
    commitment_id = request.match_info["id"]
    query = params(request, StatusParams)
    at = query_times(query.as_of, query.known_at)
    status = await request.app[READ_MODEL].status(commitment_id, at)
    if status is None:
        detail = (
            f"commitment {commitment_id!r} does not exist as of {format_time(at.as_of)}"
            f" known at {format_time(at.known_at)}"
        )
        raise EntityNotFound("commitment", commitment_id, detail)
    return Reply(status)


async def get_history(request: web.Request) -> Reply:
    commitment_id = request.match_info["id"]
    known_at = query_times(None, params(request, HistoryParams).known_at).known_at
    entries = await request.app[READ_MODEL].history(commitment_id, known_at)
    body = {"commitment": commitment_id, "known_at": format_time(known_at), "events": entries}
    return Reply(body)


async def list_commitments(request: web.Request) -> Reply:
    """Paged by commitment id (`after`); current state from the read tables, else folded."""
    q = params(request, CommitmentParams)
    limit = page_size(request, q.limit)
    at = query_times(q.as_of, q.known_at)
    reads = request.app[READ_MODEL]
    if q.min_position:
        await reads.wait_for(q.min_position, q.wait)
    filters = Filters(
        promisor=q.promisor or None,
        promisee=q.promisee or None,
        agreement=q.agreement or None,
        verdict=q.verdict,
        basis=q.basis,
        schedule=q.schedule,
    )
    items = await reads.commitments(filters, at, q.after or None, limit + 1)
    page, more = items[:limit], len(items) > limit
    next_after = page[-1]["id"] if more else None
    times = {"as_of": format_time(at.as_of), "known_at": format_time(at.known_at)}
    headers = {}
    if next_after is not None:
        url = request.rel_url.update_query(after=next_after, limit=limit)
        headers["Link"] = f'<{url}>; rel="next"'
    return Reply({**times, "commitments": page, "next": next_after}, headers=headers)
