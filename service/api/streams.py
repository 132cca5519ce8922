"""Read views over the raw log: one stream, and the global log in pages."""

from __future__ import annotations

from aiohttp import web

from service.api.keys import STORE
from service.api.params import choice_param, int_param, limit_param, list_param
from service.api.rendering import json_response

MAX_VERSION = 2**31 - 1


async def get_stream(request: web.Request) -> web.Response:
    stream_id = request.match_info["stream_id"]
    direction = choice_param(request, "direction", ("forward", "backward"), "forward")
    default_from = 1 if direction == "forward" else MAX_VERSION
    from_version = int_param(request, "from_version", default_from, minimum=1, maximum=MAX_VERSION)
    limit = limit_param(request)
    store = request.app[STORE]
    events = await store.read_stream(stream_id, from_version, limit + 1, direction)  # type: ignore[arg-type]
    version = await store.stream_version(stream_id)
    page, more = events[:limit], len(events) > limit
    next_from = None
    if more:
        last = page[-1].version
        next_from = last + 1 if direction == "forward" else last - 1
    body = {
        "stream_id": stream_id,
        "version": version,
        "events": [e.to_json() for e in page],
        "next_from_version": next_from,
    }
    response = json_response(body)
    response.headers["ETag"] = f'"{version}"'
    if next_from is not None:
        url = request.rel_url.update_query(from_version=next_from, limit=limit, direction=direction)
        response.headers["Link"] = f'<{url}>; rel="next"'
    return response


async def get_events(request: web.Request) -> web.Response:
    after = int_param(request, "after", 0, minimum=0, maximum=2**63 - 1)
    limit = limit_param(request)
    types = list_param(request, "type")
    events = await request.app[STORE].read_all(after, limit, types or None)
    next_after = events[-1].position if events else after
    body = {"events": [e.to_json() for e in events], "next": next_after}
    response = json_response(body)
    if len(events) == limit:
        url = request.rel_url.update_query(after=next_after, limit=limit)
        response.headers["Link"] = f'<{url}>; rel="next"'
    return response
