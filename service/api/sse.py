"""The live log as Server-Sent Events: `id:` is the position, Last-Event-ID resumes exactly."""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from service.api.keys import SETTINGS, STORE
from service.api.params import int_param, list_param
from service.api.rendering import dumps
from service.domain.errors import InvalidParameter
from service.domain.records import RecordedEvent

QUEUE_SIZE = 500  # events buffered between the reader and a slow client; bounds memory


async def live_events(request: web.Request) -> web.StreamResponse:
    after = _resume_position(request)
    types = list_param(request, "type") or None
    heartbeat = request.app[SETTINGS].sse_heartbeat_seconds
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    await response.write(b"retry: 1000\n\n")
    queue: asyncio.Queue[RecordedEvent] = asyncio.Queue(QUEUE_SIZE)
    reader = asyncio.create_task(_fill(request, queue, after, types))
    try:
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), heartbeat)
            except TimeoutError:
                if reader.done():
                    reader.result()  # re-raise what stopped the reader
                await response.write(b": keep-alive\n\n")
                continue
            frame = f"id: {event.position}\nevent: {event.type}\ndata: {dumps(event.to_json())}\n\n"
            await response.write(frame.encode("utf-8"))
    except ConnectionResetError:
        pass  # the client went away; nothing to answer
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
    return response


async def _fill(
    request: web.Request, queue: asyncio.Queue[RecordedEvent], after: int, types: list[str] | None
) -> None:
    subscription = request.app[STORE].subscribe(after, types)  # type: ignore[call-arg]
    async for event in subscription:
        await queue.put(event)


def _resume_position(request: web.Request) -> int:
    last_id = request.headers.get("Last-Event-ID")
    if last_id is None or last_id.strip() == "":
        return int_param(request, "after", 0, minimum=0)
    try:
        value = int(last_id)
    except ValueError:
        raise InvalidParameter(
            "Last-Event-ID", f"Last-Event-ID must be a position, got {last_id!r}"
        ) from None
    if value < 0:
        raise InvalidParameter("Last-Event-ID", "Last-Event-ID must be >= 0")
    return value
