"""The live log as Server-Sent Events: `id:` is the position, Last-Event-ID resumes exactly."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from service.api.keys import EVENT_SOURCE, SETTINGS, STORE
from service.api.params import MAX_POSITION, LiveParams
from service.api.rendering import accepts, dumps
from service.api.table import params
from service.domain.errors import InvalidParameter
from service.log import cloudevents
from service.log.records import RecordedEvent

log = logging.getLogger(__name__)

QUEUE_SIZE = 500  # events buffered between the reader and a slow client; bounds memory


class LiveStreams:
    """The handlers of open streams, ended when the server shuts down: an idle stream would
    otherwise hold a graceful shutdown until its next heartbeat or the shutdown timeout."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()
        self.closing = asyncio.Event()

    async def close(self, app: web.Application) -> None:
        self.closing.set()
        for task in list(self.tasks):
            task.cancel()


LIVE = web.AppKey("sse_streams", LiveStreams)


def setup_sse(app: web.Application) -> None:
    app[LIVE] = LiveStreams()
    app.on_shutdown.append(app[LIVE].close)


async def live_events(request: web.Request) -> web.StreamResponse:
    query = params(request, LiveParams)
    after = _resume_position(request, query.after)
    types = query.type or None
    frame = _frame
    if query.format == "cloudevents" or accepts(request, cloudevents.STRUCTURED_TYPE):
        frame = functools.partial(_cloudevent_frame, request.app[EVENT_SOURCE])
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    live, task = request.app[LIVE], asyncio.current_task()
    assert task is not None
    live.tasks.add(task)
    try:
        if not live.closing.is_set():  # a stream opened during shutdown ends at once
            await _stream(request, response, after, types, frame)
    except ConnectionResetError:
        pass  # the client went away; nothing to answer
    except Exception:
        # The status line is sent: a problem document can no longer be. End the body so the
        # client sees the stream close and reconnects, instead of waiting on silence.
        log.exception("live stream failed")
        with contextlib.suppress(ConnectionResetError):
            await response.write_eof()
    except asyncio.CancelledError:
        if not live.closing.is_set():
            raise
        # Our own shutdown: end the body properly; the client reconnects with Last-Event-ID.
        task.uncancel()
        with contextlib.suppress(ConnectionResetError):
            await response.write_eof()
    finally:
        live.tasks.discard(task)
    return response


async def _stream(
    request: web.Request,
    response: web.StreamResponse,
    after: int,
    types: list[str] | None,
    frame: Callable[[RecordedEvent], str],
) -> None:
    heartbeat = request.app[SETTINGS].sse_heartbeat_seconds
    await response.write(b"retry: 1000\n\n")
    queue: asyncio.Queue[RecordedEvent] = asyncio.Queue(QUEUE_SIZE)
    reader = asyncio.create_task(_fill(request, queue, after, types))
    try:
        while True:
            try:
                first = await asyncio.wait_for(queue.get(), heartbeat)
            except TimeoutError:
                if reader.done():
                    reader.result()  # re-raise what stopped the reader
                await response.write(b": keep-alive\n\n")
                continue
            # Send what has queued up in one write: far fewer writes while catching up.
            events = [first] + [queue.get_nowait() for _ in range(min(queue.qsize(), 99))]
            await response.write("".join(map(frame, events)).encode("utf-8"))
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


def _frame(event: RecordedEvent) -> str:
    return f"id: {event.position}\nevent: {event.type}\ndata: {dumps(event.to_json())}\n\n"


def _cloudevent_frame(source: str, event: RecordedEvent) -> str:
    """`data:` is one structured-mode CloudEvent (application/cloudevents+json)."""
    data = dumps(cloudevents.structured(event, source))
    return f"id: {event.position}\nevent: {event.type}\ndata: {data}\n\n"


async def _fill(
    request: web.Request, queue: asyncio.Queue[RecordedEvent], after: int, types: list[str] | None
) -> None:
    subscription = request.app[STORE].subscribe(after, types)  # type: ignore[call-arg]
    async for event in subscription:
        await queue.put(event)


def _resume_position(request: web.Request, after: int) -> int:
    last_id = request.headers.get("Last-Event-ID")
    if last_id is None or last_id.strip() == "":
        return after
    try:
        value = int(last_id)
    except ValueError:
        raise InvalidParameter(
            "Last-Event-ID", f"Last-Event-ID must be a position, got {last_id!r}"
        ) from None
    if not 0 <= value <= MAX_POSITION:
        raise InvalidParameter(
            "Last-Event-ID", f"Last-Event-ID must be between 0 and {MAX_POSITION}"
        )
    return value
