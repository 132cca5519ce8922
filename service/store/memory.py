"""An in-memory event store that behaves like the PostgreSQL one (same contract tests)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from uuid import UUID

from service.domain.errors import DomainError, StreamNotFound
from service.log.records import NewEvent, RecordedEvent
from service.store.batching import PendingAppend, plan_batch
from service.store.notifier import Notifier, follow
from service.store.ports import AppendResult, Direction, ExpectedVersion
from service.store.validation import validate_append


class MemoryStore:
    def __init__(self) -> None:
        self._log: list[RecordedEvent] = []
        self._streams: dict[str, list[RecordedEvent]] = {}
        self._by_id: dict[UUID, RecordedEvent] = {}
        self._lock = asyncio.Lock()
        self.notifier = Notifier(None, "memory", poll_interval=1.0)

    async def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: ExpectedVersion
    ) -> AppendResult:
        validate_append(stream_id, events, expected_version)
        future: asyncio.Future[AppendResult] = asyncio.get_running_loop().create_future()
        pending = PendingAppend(stream_id, list(events), expected_version, future)
        async with self._lock:
            plan = plan_batch(
                [pending],
                head=len(self._log),
                now=max(datetime.now(UTC), self._log[-1].recorded_at if self._log else _EPOCH),
                versions={stream_id: len(self._streams.get(stream_id, []))},
                existing={
                    e.event_id: self._by_id[e.event_id] for e in events if e.event_id in self._by_id
                },
            )
            for _, recorded in plan.rows:
                self._log.append(recorded)
                self._streams.setdefault(recorded.stream_id, []).append(recorded)
                self._by_id[recorded.event_id] = recorded
        outcome = plan.outcomes[0][1]
        if isinstance(outcome, DomainError):
            raise outcome
        if plan.rows:
            self.notifier.wake()
        return outcome

    async def read_stream(
        self,
        stream_id: str,
        from_version: int = 1,
        limit: int | None = None,
        direction: Direction = "forward",
    ) -> list[RecordedEvent]:
        events = self._streams.get(stream_id)
        if not events:
            raise StreamNotFound(stream_id)
        if direction == "forward":
            selected = [e for e in events if e.version >= from_version]
        else:
            selected = [e for e in reversed(events) if e.version <= from_version]
        return selected[:limit] if limit is not None else selected

    async def stream_version(self, stream_id: str) -> int:
        return len(self._streams.get(stream_id, []))

    async def read_all(
        self, after_position: int = 0, limit: int = 1000, types: Sequence[str] | None = None
    ) -> list[RecordedEvent]:
        tail = self._log[max(after_position, 0) :]
        if types:
            wanted = set(types)
            tail = [e for e in tail if e.type in wanted]
        return tail[:limit]

    async def head_position(self) -> int:
        return len(self._log)

    def subscribe(
        self, after_position: int = 0, types: Sequence[str] | None = None, page: int = 500
    ) -> AsyncIterator[RecordedEvent]:
        """Catch up, then follow: woken by NOTIFY, and polling too, so nothing is ever missed."""
        return follow(self.read_all, self.notifier, after_position, types, page)

    async def close(self) -> None:
        await self.notifier.close()


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
