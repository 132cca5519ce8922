"""The event store port: what use cases, projections and the API may ask of any store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from service.log.records import NewEvent, RecordedEvent
from service.store.notifier import Notifier

# An exact version (0 = the stream must not exist yet), or one of the named expectations.
ExpectedVersion = int | Literal["no_stream", "stream_exists", "any"]
Direction = Literal["forward", "backward"]


@dataclass(frozen=True, slots=True)
class AppendResult:
    """Where an append landed: the stream's new version and the global positions it took."""

    stream_id: str
    first_version: int
    last_version: int
    first_position: int
    last_position: int
    events: tuple[RecordedEvent, ...]
    replayed: bool = False  # True when every event was already stored (an idempotent retry)


class EventStore(Protocol):
    # Wakes the log's followers (projector, tree builder, ...) after each commit: take a
    # waiter() before reading, then wait(waiter) returns at the next commit or poll interval.
    notifier: Notifier

    async def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: ExpectedVersion
    ) -> AppendResult: ...

    async def read_stream(
        self,
        stream_id: str,
        from_version: int = 1,
        limit: int | None = None,
        direction: Direction = "forward",
    ) -> list[RecordedEvent]:
        """Raises StreamNotFound when the stream has no events."""
        ...

    async def stream_version(self, stream_id: str) -> int:
        """The stream's current version; 0 when it does not exist."""
        ...

    async def read_all(
        self, after_position: int = 0, limit: int = 1000, types: Sequence[str] | None = None
    ) -> list[RecordedEvent]: ...

    async def head_position(self) -> int: ...

    def subscribe(self, after_position: int = 0) -> AsyncIterator[RecordedEvent]:
        """Catch up from after_position, then follow new events live, forever."""
        ...

    async def close(self) -> None: ...
