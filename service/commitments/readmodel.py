"""The read side of commitments as one port, and its implementation that folds the log on the
fly (any store, any (as_of, known_at)). The read tables' implementation, faster for the current
state, is service/projections/readmodel.py; service/app.py picks one, once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from service.commitments.queries import (
    candidates_from_log,
    load_commitment,
    load_history,
    load_parties,
    load_status,
    load_statuses,
    status_of,
)
from service.domain import events as ev
from service.domain.errors import ProjectorBehind
from service.domain.status import CommitmentStatus
from service.domain.tallies import agreement_compliance, party_compliance
from service.log.records import RecordedEvent
from service.store.ports import EventStore

Line = dict[str, Any]  # a commitment's line in a list (schemas.CommitmentLine)


@dataclass(frozen=True, slots=True)
class At:
    """The two query times; `current` when neither was given (the read tables can answer)."""

    as_of: datetime
    known_at: datetime
    current: bool


@dataclass(frozen=True, slots=True)
class Filters:
    promisor: str | None = None
    promisee: str | None = None
    agreement: str | None = None
    verdict: str | None = None
    basis: str | None = None
    schedule: str | None = None


@dataclass(frozen=True, slots=True)
class Made:
    """A commitment as made, its stream version and its status at the time asked."""

    made: RecordedEvent
    version: int
    status: CommitmentStatus | None


class ReadModel(Protocol):
    """Everything the API reads about commitments."""

    async def wait_for(self, position: int, timeout: float) -> None:
        """Return once reads reflect `position`; ProjectorBehind after `timeout` seconds."""

    async def commitment(self, commitment_id: str, now: datetime) -> Made | None: ...

    async def status(self, commitment_id: str, at: At) -> CommitmentStatus | None: ...

    async def history(self, commitment_id: str, known_at: datetime) -> list[dict[str, Any]]: ...

    async def commitments(
        self, filters: Filters, at: At, after: str | None, limit: int
    ) -> list[Line]:
        """Up to `limit` lines ordered by id after `after`, existing at `at`."""

    async def party_compliance(
        self, party: str, at: At, limit: int
    ) -> tuple[dict[str, Any], list[Line]]:
        """The tally of the commitments a party made, and the first `limit` lines."""

    async def agreement_compliance(
        self, agreement: str, at: At, limit: int
    ) -> tuple[dict[str, Any], list[Line]]: ...


SUMMARY_FIELDS = (
    "promisor",
    "promisees",
    "agreement",
    "verdict",
    "basis",
    "disputed",
    "schedule",
)


def summary(status: CommitmentStatus) -> Line:
    """A commitment's line in a list or a compliance answer: the read tables' row shape."""
    body = status.to_json()
    return {
        "id": status.commitment,
        **{name: body[name] for name in SUMMARY_FIELDS},
        "due_by": body["due_by"],
        "last_position": status.last_position,
    }


def _passes(status: CommitmentStatus, filters: Filters) -> bool:
    return (
        (filters.verdict is None or status.verdict == filters.verdict)
        and (filters.basis is None or status.basis == filters.basis)
        and (filters.schedule is None or status.schedule == filters.schedule)
    )


class FoldedReadModel:
    """Every answer folded from the log with the pure rules; `wait_for` waits for the log's
    head, since the log holds every write that returned."""

    POLL = 0.02

    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def wait_for(self, position: int, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (head := await self.store.head_position()) < position:
            if loop.time() >= deadline:
                raise ProjectorBehind(position, head, timeout)
            await asyncio.sleep(self.POLL)

    async def commitment(self, commitment_id: str, now: datetime) -> Made | None:
        events, linked = await load_commitment(self.store, commitment_id)
        made = next((e for e in events if e.type == ev.COMMITMENT_MADE), None)
        if made is None:
            return None
        parties = await load_parties(self.store, [events, *linked.values()])
        status = status_of(events, linked, parties, now, now)
        return Made(made, events[-1].version, status)

    async def status(self, commitment_id: str, at: At) -> CommitmentStatus | None:
        return await load_status(self.store, commitment_id, at.as_of, at.known_at)

    async def history(self, commitment_id: str, known_at: datetime) -> list[dict[str, Any]]:
        return await load_history(self.store, commitment_id, known_at)

    async def candidates(self, filters: Filters) -> list[str]:
        """Ids of the commitments whose creation matches (sorted); each is then folded."""
        return await candidates_from_log(
            self.store,
            promisor=filters.promisor,
            promisee=filters.promisee,
            agreement=filters.agreement,
        )

    async def commitments(
        self, filters: Filters, at: At, after: str | None, limit: int
    ) -> list[Line]:
        rest = [i for i in await self.candidates(filters) if after is None or i > after]
        found: list[CommitmentStatus] = []
        while rest and len(found) < limit:
            chunk, rest = rest[:limit], rest[limit:]
            for status in await load_statuses(self.store, chunk, at.as_of, at.known_at):
                if status is not None and _passes(status, filters):
                    found.append(status)
        return [summary(s) for s in found[:limit]]

    async def _present(self, filters: Filters, at: At) -> list[CommitmentStatus]:
        ids = await self.candidates(filters)
        statuses = await load_statuses(self.store, ids, at.as_of, at.known_at)
        return [s for s in statuses if s is not None]

    async def party_compliance(
        self, party: str, at: At, limit: int
    ) -> tuple[dict[str, Any], list[Line]]:
        present = await self._present(Filters(promisor=party), at)
        return party_compliance(present).to_json(), [summary(s) for s in present[:limit]]

    async def agreement_compliance(
        self, agreement: str, at: At, limit: int
    ) -> tuple[dict[str, Any], list[Line]]:
        present = await self._present(Filters(agreement=agreement), at)
        return agreement_compliance(present).to_json(), [summary(s) for s in present[:limit]]
