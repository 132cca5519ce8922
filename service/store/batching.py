"""Pure decisions of an append batch: versions, idempotent replays and conflicts, no I/O.

Shared by the PostgreSQL and the memory store so that both decide identically.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from service.domain.errors import ConcurrencyConflict, DomainError, DuplicateEventId
from service.log.records import NewEvent, RecordedEvent, render_canonical
from service.store.ports import AppendResult, ExpectedVersion


@dataclass(eq=False)
class PendingAppend:
    """One caller's append waiting for the batch writer."""

    stream_id: str
    events: Sequence[NewEvent]
    expected: ExpectedVersion
    future: asyncio.Future[AppendResult] = field(repr=False)
    rendered: list[tuple[str, str]] = field(default_factory=list, repr=False)


@dataclass
class BatchPlan:
    """The rows a batch inserts, and each caller's outcome once the batch commits."""

    rows: list[tuple[NewEvent, RecordedEvent]] = field(default_factory=list)
    outcomes: list[tuple[PendingAppend, AppendResult | DomainError]] = field(default_factory=list)


def check_expected(stream_id: str, expected: ExpectedVersion, actual: int) -> None:
    ok = (
        (expected == "any")
        or (expected == "no_stream" and actual == 0)
        or (expected == "stream_exists" and actual > 0)
        or (isinstance(expected, int) and expected == actual)
    )
    if not ok:
        raise ConcurrencyConflict(stream_id, expected, actual)


def replay_of(
    pending: PendingAppend, existing: dict[UUID, RecordedEvent]
) -> AppendResult | DomainError | None:
    """The original result when every event of the append is already stored with the same content.

    None when none of its ids is stored (a new append); an error for a partial or different reuse.
    """
    found = [existing.get(e.event_id) for e in pending.events]
    if all(f is None for f in found):
        return None
    for new, old in zip(pending.events, found, strict=True):
        if old is None or old.stream_id != pending.stream_id or not new.same_content(old):
            return DuplicateEventId(str(new.event_id), old.stream_id if old else pending.stream_id)
    stored = tuple(f for f in found if f is not None)
    versions = [e.version for e in stored]
    if versions != list(range(versions[0], versions[0] + len(versions))):
        # The same events, but not as one append in this order: not a retry of it.
        return DuplicateEventId(str(pending.events[0].event_id), pending.stream_id)
    return result_of(pending.stream_id, stored, replayed=True)


def result_of(
    stream_id: str,
    events: Sequence[RecordedEvent],
    *,
    replayed: bool,
    first_version: int | None = None,
) -> AppendResult:
    """The result of an append; first_version, when the caller knows it, saves decoding."""
    if first_version is None:
        first_version = events[0].version
    return AppendResult(
        stream_id=stream_id,
        first_version=first_version,
        last_version=first_version + len(events) - 1,
        first_position=events[0].position,
        last_position=events[-1].position,
        events=tuple(events),
        replayed=replayed,
    )


def plan_batch(
    batch: Sequence[PendingAppend],
    *,
    head: int,
    now: datetime,
    versions: dict[str, int],
    existing: dict[UUID, RecordedEvent],
) -> BatchPlan:
    """Assign versions and positions in arrival order; a rejected append takes none."""
    plan = BatchPlan()
    versions = dict(versions)
    existing = dict(existing)
    for pending in batch:
        try:
            outcome = replay_of(pending, existing)
            if outcome is None:
                check_expected(pending.stream_id, pending.expected, versions[pending.stream_id])
                outcome = _place(pending, plan, head, now, versions, existing)
                head = outcome.last_position
        except DomainError as e:
            outcome = e
        plan.outcomes.append((pending, outcome))
    return plan


def _place(
    pending: PendingAppend,
    plan: BatchPlan,
    head: int,
    now: datetime,
    versions: dict[str, int],
    existing: dict[UUID, RecordedEvent],
) -> AppendResult:
    version = versions[pending.stream_id]
    placed = []
    for offset, new in enumerate(pending.events, start=1):
        canonical = render_canonical(
            new,
            stream_id=pending.stream_id,
            version=version + offset,
            position=head + offset,
            recorded_at=now,
        )
        recorded = RecordedEvent(head + offset, canonical)
        placed.append(recorded)
        plan.rows.append((new, recorded))
        existing[new.event_id] = recorded
    versions[pending.stream_id] = version + len(placed)
    return result_of(pending.stream_id, placed, replayed=False, first_version=version + 1)
