"""Commitments: create, read with status, list, record evidence, status at (V, K), history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from service.api import readside
from service.api.inputs import context, if_match, json_body, query_times, written_headers
from service.api.keys import POOL, STORE
from service.api.params import limit_param
from service.api.rendering import json_response
from service.commitments import writes
from service.commitments.queries import load_commitment, load_history, load_status
from service.domain import events as ev
from service.domain.commands import parse_body
from service.domain.compliance import commitment_status, verdict_lookup
from service.domain.errors import EntityNotFound, InvalidParameter
from service.domain.evidence import COMMITMENT, EVIDENCE
from service.log.records import format_time


async def post_commitment(request: web.Request) -> web.Response:
    body = parse_body(COMMITMENT, await json_body(request))
    written = await writes.make_commitment(request.app[STORE], body, context(request))
    response = json_response({**written.to_json(), "id": body.id}, status=201)
    location = f"/v1/commitments/{body.id}"
    written_headers(response, location, written.event.version, written.replayed)
    return response


async def post_event(request: web.Request) -> web.Response:
    """Evidence or a change; If-Match is the stream version (412 when it moved)."""
    commitment_id = request.match_info["id"]
    expected = if_match(request)
    body = parse_body(EVIDENCE, await json_body(request))
    store = request.app[STORE]
    written = await writes.record_evidence(
        store, commitment_id, body, context(request), if_match=expected
    )
    response = json_response({**written.to_json(), "commitment": commitment_id}, status=201)
    location = f"/v1/commitments/{commitment_id}"
    written_headers(response, location, written.event.version, written.replayed)
    return response


async def get_commitment(request: web.Request) -> web.Response:
    """The commitment as made, its stream version (also the ETag) and its status now."""
    commitment_id = request.match_info["id"]
    events, linked = await load_commitment(request.app[STORE], commitment_id)
    made = next((e for e in events if e.type == ev.COMMITMENT_MADE), None)
    if made is None:
        raise EntityNotFound("commitment", commitment_id)
    now = datetime.now(UTC)
    status = commitment_status(events, now, now, verdict_lookup(linked, now, now))
    version = events[-1].version
    body = {
        **made.data,
        "event_id": str(made.event_id),
        "position": made.position,
        "recorded_at": format_time(made.recorded_at),
        "version": version,
        "status": None if status is None else status.to_json(),
    }
    response = json_response(body)
    response.headers["ETag"] = f'"{version}"'
    return response


async def get_status(request: web.Request) -> web.Response:
    commitment_id = request.match_info["id"]
    as_of, known_at, _ = query_times(request)
    status = await load_status(request.app[STORE], commitment_id, as_of, known_at)
    if status is None:
        detail = (
            f"commitment {commitment_id!r} does not exist as of {format_time(as_of)}"
            f" known at {format_time(known_at)}"
        )
        raise EntityNotFound("commitment", commitment_id, detail)
    return json_response(status.to_json())


async def get_history(request: web.Request) -> web.Response:
    commitment_id = request.match_info["id"]
    _, known_at, _ = query_times(request)
    entries = await load_history(request.app[STORE], commitment_id, known_at)
    body = {"commitment": commitment_id, "known_at": format_time(known_at), "events": entries}
    return json_response(body)


def _choice(request: web.Request, name: str, choices: tuple[str, ...]) -> str | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    if raw not in choices:
        raise InvalidParameter(name, f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def _filters(request: web.Request) -> dict[str, Any]:
    return {name: request.query.get(name) or None for name in ("promisor", "promisee", "agreement")}


async def list_commitments(request: web.Request) -> web.Response:
    """Paged by commitment id (`after`); current state from the read tables, else folded."""
    verdict = _choice(request, "verdict", ev.VERDICTS)
    schedule = _choice(request, "schedule", ev.SCHEDULES)
    limit = limit_param(request)
    after = request.query.get("after") or None
    as_of, known_at, given = query_times(request)
    await readside.await_min_position(request)
    query: dict[str, Any] = {"verdict": verdict, "schedule": schedule}
    query |= {"after": after, "limit": limit + 1}
    if readside.uses_read_tables(request, given):
        from service.projections import queries as read_tables

        filters = _filters(request)
        items = await read_tables.list_current(request.app[POOL], **filters, **query, now=as_of)
    else:
        items = await _folded(request, as_of, known_at, **query)
    page, more = items[:limit], len(items) > limit
    next_after = page[-1]["id"] if more else None
    times = {"as_of": format_time(as_of), "known_at": format_time(known_at)}
    response = json_response({**times, "commitments": page, "next": next_after})
    if next_after is not None:
        url = request.rel_url.update_query(after=next_after, limit=limit)
        response.headers["Link"] = f'<{url}>; rel="next"'
    return response


async def _folded(
    request: web.Request, as_of: datetime, known_at: datetime, **query: Any
) -> list[dict[str, Any]]:
    ids = await readside.candidates(request, **_filters(request))
    statuses = await readside.fold_page(request, ids, as_of, known_at, **query)
    return [readside.summary(s) for s in statuses]
