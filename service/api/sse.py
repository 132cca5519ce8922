"""The live log as Server-Sent Events: `id:` is the position, Last-Event-ID resumes exactly."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import socket
from collections import Counter
from collections.abc import Callable
from typing import Any

from aiohttp import web

from service.api.auth import client_key
from service.api.keys import EVENT_SOURCE, SETTINGS, STORE
from service.api.params import MAX_POSITION, LiveParams
from service.api.rendering import accepts, dumps
from service.api.table import params
from service.domain.errors import InvalidParameter, Unavailable
from service.log import cloudevents
from service.log.records import RecordedEvent
from service.store.ports import EventStore
from service.store.tail import LogTail

log = logging.getLogger(__name__)
Frame = Callable[[RecordedEvent], str]

BATCH_EVENTS = 100  # events read and written per round: what one stream holds at a time
BATCH_BYTES = 64 * 1024  # and at most about this many bytes of frames
WRITE_BUFFER_BYTES = 32 * 1024  # the socket buffer above which a write waits for the client


class LiveStreams:
    """The handlers of open streams, ended when the server shuts down: an idle stream would
    otherwise hold a graceful shutdown until its next heartbeat or the shutdown timeout.
    Also counts streams per client, for the caps."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()
        self.closing = asyncio.Event()
        self.per_client: Counter[str] = Counter()
        self.tail: LogTail | None = None

    def tail_of(self, store: EventStore) -> LogTail:
        if self.tail is None:
            self.tail = LogTail(store)
        return self.tail

    async def close(self, app: web.Application) -> None:
        self.closing.set()
        for task in list(self.tasks):
            task.cancel()

    async def stop_tail(self, app: web.Application) -> None:
        if self.tail is not None:
            await self.tail.close()


LIVE = web.AppKey("sse_streams", LiveStreams)


class StreamsFull(Unavailable):
    title = "Too many live streams"


def setup_sse(app: web.Application) -> None:
    app[LIVE] = LiveStreams()
    app.on_shutdown.append(app[LIVE].close)
    app.on_cleanup.insert(0, app[LIVE].stop_tail)


def _admit(request: web.Request, live: LiveStreams) -> str:
    settings = request.app[SETTINGS]
    if len(live.tasks) >= settings.sse_max_streams:
        raise StreamsFull(f"the server has {settings.sse_max_streams} live streams open; retry")
    key = client_key(request)
    if live.per_client[key] >= settings.sse_max_streams_per_client:
        limit = settings.sse_max_streams_per_client
        raise StreamsFull(f"this client has {limit} live streams open already; close one")
    return key


async def live_events(request: web.Request) -> web.StreamResponse:
    query = params(request, LiveParams)
    after = _resume_position(request, query.after)
    types = query.type or None
    frame: Frame = _shared_frame
    if query.format == "cloudevents" or accepts(request, cloudevents.STRUCTURED_TYPE):
        frame = functools.partial(_cloudevent_frame, request.app[EVENT_SOURCE])
    live, task = request.app[LIVE], asyncio.current_task()
    assert task is not None
    key = _admit(request, live)
    live.tasks.add(task)
    live.per_client[key] += 1
    try:
        return await _serve(request, live, task, after, types, frame)
    finally:
        live.tasks.discard(task)
        live.per_client[key] -= 1
        if live.per_client[key] <= 0:
            del live.per_client[key]


async def _serve(
    request: web.Request,
    live: LiveStreams,
    task: asyncio.Task[Any],
    after: int,
    types: list[str] | None,
    frame: Frame,
) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    _small_buffers(request)
    try:
        if not live.closing.is_set():  # a stream opened during shutdown ends at once
            await _stream(request, response, after, types, frame)
    except SlowConsumer as e:
        # Its buffers stayed full: drop it, freeing them; it resumes with Last-Event-ID.
        log.info("live stream closed: %s", e)
        if request.transport is not None:
            request.transport.abort()
    except ConnectionError:
        pass  # the client went away (reset, or lost while we waited to write)
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
    return response


def _small_buffers(request: web.Request) -> None:
    """Bound what a stream may leave queued for a client that does not read: in our buffer
    and in the kernel's (a loopback socket would otherwise take megabytes)."""
    if request.transport is None:
        return
    request.transport.set_write_buffer_limits(high=WRITE_BUFFER_BYTES)
    sock = request.transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, WRITE_BUFFER_BYTES)


class SlowConsumer(Exception):
    """A client that has not taken what was written within the stall timeout."""


async def _send(response: web.StreamResponse, data: bytes, stall: float) -> None:
    try:
        # asyncio.timeout, not wait_for: no extra task per write for every stream.
        async with asyncio.timeout(stall):
            await response.write(data)
    except TimeoutError:
        raise SlowConsumer(f"the client took nothing for {stall:g} s") from None


async def _stream(
    request: web.Request,
    response: web.StreamResponse,
    after: int,
    types: list[str] | None,
    frame: Frame,
) -> None:
    """Catch up from the store page by page, then follow the shared tail: no reads of our own."""
    settings = request.app[SETTINGS]
    heartbeat, stall = settings.sse_heartbeat_seconds, settings.sse_stall_timeout_seconds
    store = request.app[STORE]
    tail = request.app[LIVE].tail_of(store)
    await tail.start()
    await _send(response, b"retry: 1000\n\n", stall)
    position = after
    while True:
        wake, seen = tail.waiter(types), tail.head  # taken before looking: none is missed
        if tail.holds(position):
            events = tail.after(position, types, BATCH_EVENTS)
        else:
            events = await store.read_all(position, BATCH_EVENTS, types)
        if events:
            data, last = _frames(events, frame)
            await _send(response, data, stall)
            position = last
            if last != events[-1].position or len(events) == BATCH_EVENTS:
                continue
        # Everything up to `seen` was visible when we looked: nothing more matches there.
        position = max(position, seen)
        if events:
            continue
        try:
            async with asyncio.timeout(heartbeat):
                await wake.wait()
        except TimeoutError:
            await _send(response, b": keep-alive\n\n", stall)


def _frames(events: list[RecordedEvent], frame: Frame) -> tuple[bytes, int]:
    """The events as SSE frames, cut at BATCH_BYTES (the rest goes in the next round), and
    the position of the last one included."""
    out: list[str] = []
    size = 0
    for event in events:
        text = frame(event)
        out.append(text)
        size += len(text)
        if size >= BATCH_BYTES:
            return "".join(out).encode("utf-8"), event.position
    return "".join(out).encode("utf-8"), events[-1].position


# Streams that follow the tail share its event objects: each is rendered once for all of them,
# not once per stream (a thousand streams, a thousand renderings of every write).
@functools.lru_cache(maxsize=1024)
def _shared_frame(event: RecordedEvent) -> str:
    return _frame(event)


def _frame(event: RecordedEvent) -> str:
    return f"id: {event.position}\nevent: {event.type}\ndata: {dumps(event.to_json())}\n\n"


def _cloudevent_frame(source: str, event: RecordedEvent) -> str:
    """`data:` is one structured-mode CloudEvent (application/cloudevents+json)."""
    data = dumps(cloudevents.structured(event, source))
    return f"id: {event.position}\nevent: {event.type}\ndata: {data}\n\n"


# ASCII digits only: int() also takes other scripts' digits, which no client means.
POSITION = re.compile(r"[0-9]{1,19}")


def _resume_position(request: web.Request, after: int) -> int:
    last_id = request.headers.get("Last-Event-ID")
    if last_id is None or last_id.strip() == "":
        return after
    if not POSITION.fullmatch(last_id.strip()) or int(last_id) > MAX_POSITION:
        shown = last_id if len(last_id) <= 40 else last_id[:40] + "..."
        raise InvalidParameter(
            "Last-Event-ID",
            f"Last-Event-ID must be a position from 0 to {MAX_POSITION}, got {shown!r}",
        )
    return int(last_id)
