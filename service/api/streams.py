"""Read views over the raw log: one stream, and the global log in pages."""

from __future__ import annotations

from aiohttp import web

from service.api.keys import EVENT_SOURCE, STORE
from service.api.params import MAX_VERSION, EventsParams, StreamParams
from service.api.rendering import accepts
from service.api.schemas import CloudEventBatch
from service.api.table import Reply, page_size, params
from service.log import cloudevents


async def get_stream(request: web.Request) -> Reply:
    stream_id = request.match_info["stream_id"]
    query = params(request, StreamParams)
    direction = query.direction
    default_from = 1 if direction == "forward" else MAX_VERSION
    from_version = query.from_version or default_from
    limit = page_size(request, query.limit)
    store = request.app[STORE]
    events = await store.read_stream(stream_id, from_version, limit + 1, direction)
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
    headers = {"ETag": f'"{version}"'}
    if next_from is not None:
        url = request.rel_url.update_query(from_version=next_from, limit=limit, direction=direction)
        headers["Link"] = f'<{url}>; rel="next"'
    return Reply(body, headers=headers)


async def get_events(request: web.Request) -> Reply:
    query = params(request, EventsParams)
    after, limit = query.after, page_size(request, query.limit)
    events = await request.app[STORE].read_all(after, limit, query.type or None)
    next_after = events[-1].position if events else after
    headers = {}
    if len(events) == limit:
        url = request.rel_url.update_query(after=next_after, limit=limit)
        headers["Link"] = f'<{url}>; rel="next"'
    if accepts(request, cloudevents.BATCH_TYPE):  # the cursor is the last event's position
        page = CloudEventBatch(cloudevents.batch(events, request.app[EVENT_SOURCE]))
        return Reply(page, headers=headers, media=cloudevents.BATCH_TYPE)
    body = {"events": [e.to_json() for e in events], "next": next_after}
    return Reply(body, headers=headers)
