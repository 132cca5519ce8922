"""The ReadModel port over the projector's read tables: the current state from the tables,
anything at another (as_of, known_at) folded from the log (service/commitments/readmodel.py)."""

from __future__ import annotations

from typing import Any

from service.commitments.queries import candidates_from_log
from service.commitments.readmodel import At, Filters, FoldedReadModel, Line
from service.domain.errors import ProjectorBehind
from service.projections import queries as tables
from service.store.ports import EventStore


class TableReadModel(FoldedReadModel):
    """Reads the projector's tables through `pool` when they can answer; folds otherwise."""

    def __init__(self, store: EventStore, pool: Any) -> None:
        super().__init__(store)
        self.pool = pool

    async def wait_for(self, position: int, timeout: float) -> None:
        if not await tables.wait_for_position(self.pool, position, timeout):
            raise ProjectorBehind(position, await tables.checkpoint(self.pool), timeout)

    async def candidates(self, filters: Filters) -> list[str]:
        """From the read tables up to their checkpoint and from the log after it: complete even
        while the projector lags (or has never run), at the cost of scanning the lag."""
        given = {"promisor": filters.promisor, "promisee": filters.promisee}
        given["agreement"] = filters.agreement
        checkpoint = await tables.checkpoint(self.pool)
        ids = set(await tables.candidate_ids(self.pool, **given))
        lag = await candidates_from_log(self.store, **given, after=checkpoint)
        return sorted(ids.union(lag))

    async def commitments(
        self, filters: Filters, at: At, after: str | None, limit: int
    ) -> list[Line]:
        if not at.current:
            return await super().commitments(filters, at, after, limit)
        return await tables.list_current(
            self.pool,
            promisor=filters.promisor,
            promisee=filters.promisee,
            agreement=filters.agreement,
            verdict=filters.verdict,
            basis=filters.basis,
            schedule=filters.schedule,
            now=at.as_of,
            after=after,
            limit=limit,
        )

    async def party_compliance(
        self, party: str, at: At, limit: int
    ) -> tuple[dict[str, Any], list[Line]]:
        if not at.current:
            return await super().party_compliance(party, at, limit)
        tally = await tables.party_tally(self.pool, party, at.as_of)
        return tally, await tables.list_current(
            self.pool, promisor=party, now=at.as_of, limit=limit
        )

    async def agreement_compliance(
        self, agreement: str, at: At, limit: int
    ) -> tuple[dict[str, Any], list[Line]]:
        if not at.current:
            return await super().agreement_compliance(agreement, at, limit)
        tally = await tables.agreement_tally(self.pool, agreement, at.as_of)
        lines = await tables.list_current(self.pool, agreement=agreement, now=at.as_of, limit=limit)
        return tally, lines
