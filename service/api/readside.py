"""Where list and compliance reads come from: the projector's read tables for the current state,
the on-the-fly fold for any (as_of, known_at), and the bounded wait for `min_position`.

An app without a pool (the memory store) has no read tables: it folds every answer from the log,
which always holds every write that returned, so `min_position` only waits for the log's head.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from aiohttp import web

from service.api.keys import POOL, STORE
from service.commitments.queries import candidates_from_log, load_statuses
from service.domain.errors import Unavailable
from service.domain.status import CommitmentStatus


class ProjectorBehind(Unavailable):
    """The read tables have not reached min_position within the wait (503, Retry-After)."""

    title = "Read model behind"

    def __init__(self, wanted: int, reached: int, waited: float) -> None:
        super().__init__(
            f"the read tables reached position {reached}, not {wanted}, within {waited:g}s;"
            " retry, or read without min_position",
            min_position=wanted,
            checkpoint=reached,
        )


async def await_min_position(request: web.Request, wanted: int, timeout: float) -> None:
    """Wait (bounded) until the read side has passed `min_position`; 503 on timeout."""
    if wanted == 0:
        return
    pool = request.app[POOL]
    if pool is None:
        await _wait_for_head(request, wanted, timeout)
        return
    from service.projections import queries as read_tables

    if not await read_tables.wait_for_position(pool, wanted, timeout):
        raise ProjectorBehind(wanted, await read_tables.checkpoint(pool), timeout)


async def _wait_for_head(request: web.Request, wanted: int, timeout: float) -> None:
    store = request.app[STORE]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (head := await store.head_position()) < wanted:
        if loop.time() >= deadline:
            raise ProjectorBehind(wanted, head, timeout)
        await asyncio.sleep(0.02)


async def candidates(
    request: web.Request,
    *,
    promisor: str | None = None,
    promisee: str | None = None,
    agreement: str | None = None,
) -> list[str]:
    """Ids of the commitments whose creation matches (sorted); each is then folded at (V, K).

    From the read tables up to their checkpoint, and from the log after it: complete even while
    the projector lags (or has never run), at the cost of scanning the lag's creations.
    """
    pool = request.app[POOL]
    store = request.app[STORE]
    if pool is None:
        return await candidates_from_log(
            store, promisor=promisor, promisee=promisee, agreement=agreement
        )
    from service.projections import queries as read_tables

    checkpoint = await read_tables.checkpoint(pool)
    ids = set(
        await read_tables.candidate_ids(
            pool, promisor=promisor, promisee=promisee, agreement=agreement
        )
    )
    lag = await candidates_from_log(
        store, promisor=promisor, promisee=promisee, agreement=agreement, after=checkpoint
    )
    return sorted(ids.union(lag))


async def fold_page(
    request: web.Request,
    ids: Sequence[str],
    as_of: datetime,
    known_at: datetime,
    *,
    verdict: str | None,
    basis: str | None = None,
    schedule: str | None,
    after: str | None,
    limit: int,
) -> list[CommitmentStatus]:
    """Up to `limit` statuses after the cursor that exist at (V, K) and pass the filters."""
    store = request.app[STORE]
    rest = [i for i in ids if after is None or i > after]
    found: list[CommitmentStatus] = []
    while rest and len(found) < limit:
        chunk, rest = rest[:limit], rest[limit:]
        for status in await load_statuses(store, chunk, as_of, known_at):
            if status is not None and _passes(status, verdict, basis, schedule):
                found.append(status)
    return found[:limit]


def _passes(
    status: CommitmentStatus, verdict: str | None, basis: str | None, schedule: str | None
) -> bool:
    return (
        (verdict is None or status.verdict == verdict)
        and (basis is None or status.basis == basis)
        and (schedule is None or status.schedule == schedule)
    )


def uses_read_tables(request: web.Request, given: bool) -> bool:
    """The current state with a pool comes from the read tables; anything else is folded."""
    return request.app[POOL] is not None and not given


SUMMARY_FIELDS = (
    "promisor",
    "promisees",
    "agreement",
    "verdict",
    "basis",
    "disputed",
    "schedule",
)


def summary(status: CommitmentStatus) -> dict[str, Any]:
    """A commitment's line in a list or a compliance answer: the read tables' row shape."""
    body = status.to_json()
    return {
        "id": status.commitment,
        **{name: body[name] for name in SUMMARY_FIELDS},
        "due_by": body["due_by"],
        "last_position": status.last_position,
    }
