"""The broker's side of the relay: the stream made or checked at start, where it ends, and
batches published in log order, with JetStream itself checking that order."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from service.log.cloudevents import POSITION, binary_headers
from service.log.records import RecordedEvent

_NOT_A_TOKEN = re.compile(r"[^A-Za-z0-9_-]")


class StreamMismatch(Exception):
    """The JetStream stream cannot take this log's events (config, or another log's events)."""


class OutOfStep(Exception):
    """JetStream stored a batch other than as published: re-read the stream's tail."""


@dataclass(frozen=True, slots=True)
class Tail:
    """The stream's last message: its sequence and, when it still holds it, the event's."""

    seq: int
    position: int  # 0 when the stream holds no message
    event_id: str | None


def subject(prefix: str, event: RecordedEvent) -> str:
    """`<prefix>.<stream kind>.<type>`; a character a subject token cannot hold becomes `_`."""
    kind = event.stream_id.split("-", 1)[0]
    return f"{prefix}.{_token(kind)}.{_token(event.type)}"


def _token(text: str) -> str:
    return _NOT_A_TOKEN.sub("_", text) or "_"


class JetStreamLog:
    """One JetStream stream as the relay's destination."""

    def __init__(
        self,
        js: JetStreamContext,
        *,
        stream: str,
        prefix: str,
        source: str,
        duplicate_window: float,
        ack_timeout: float,
    ) -> None:
        self.js = js
        self.stream = stream
        self.prefix = prefix
        self.source = source
        self.duplicate_window = duplicate_window
        self.ack_timeout = ack_timeout

    async def ensure_stream(self) -> None:
        """Create the stream, or check that an existing one takes our subjects on disk."""
        wanted = StreamConfig(
            name=self.stream,
            subjects=[f"{self.prefix}.>"],
            storage=StorageType.FILE,
            retention=RetentionPolicy.LIMITS,
            discard=DiscardPolicy.OLD,
            duplicate_window=self.duplicate_window,
        )
        try:
            info = await self.js.stream_info(self.stream)
        except NotFoundError:
            await self.js.add_stream(wanted)
            return
        config = info.config
        if f"{self.prefix}.>" not in (config.subjects or []):
            raise StreamMismatch(
                f"stream {self.stream} takes {config.subjects}, not {self.prefix}.>"
            )
        if config.storage != StorageType.FILE:
            raise StreamMismatch(f"stream {self.stream} is not on file storage")
        if config.duplicate_window != self.duplicate_window:
            config.duplicate_window = self.duplicate_window
            await self.js.update_stream(config)

    async def tail(self) -> Tail:
        info = await self.js.stream_info(self.stream)
        last = info.state.last_seq
        if not info.state.messages:  # empty, or purged: nothing to resume after
            return Tail(last, 0, None)
        msg = await self.js.get_msg(self.stream, seq=last)
        headers = msg.headers or {}
        if f"ce-{POSITION}" not in headers:
            raise StreamMismatch(f"stream {self.stream}'s last message is not a relayed event")
        return Tail(last, int(headers[f"ce-{POSITION}"]), headers.get("ce-id"))

    async def publish(self, events: list[RecordedEvent], last_seq: int) -> int:
        """Publish `events` after stream sequence `last_seq`; the stream's new last sequence.

        Every message names the sequence the stream must end at before it is stored, so a
        message lost in flight makes all after it fail rather than land out of order, and
        two relays that both believe they lead cannot interleave. Nats-Msg-Id (the event id)
        lets JetStream drop a re-publish of a stored event.
        """
        futures: list[asyncio.Future[Any]] = []
        for offset, event in enumerate(events):
            headers = binary_headers(event, self.source)
            headers["Nats-Msg-Id"] = headers["ce-id"]
            headers["Nats-Expected-Last-Sequence"] = str(last_seq + offset)
            subj = subject(self.prefix, event)
            futures.append(await self.js.publish_async(subj, event.canonical, headers=headers))
        acks = await asyncio.wait_for(asyncio.gather(*futures), self.ack_timeout)
        for offset, ack in enumerate(acks, start=1):
            if ack.duplicate or ack.seq != last_seq + offset:
                raise OutOfStep(f"expected sequence {last_seq + offset}, got {ack.seq}")
        return last_seq + len(events)
