"""The read API over the projector's tables, for the HTTP views (current state only).

Every query reads the live generation in the same statement as its rows, so a rebuild's swap
is never half-seen. The schedule is evaluated for the caller's `now` from the stored step
(service/projections/rows.py), so nothing goes stale while no events arrive. Queries "as of"
another time fold on the fly instead: `candidate_ids` gives them the commitments to fold.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from service.domain.status import AgreementTally
from service.domain.tallies import tally_counts
from service.log.records import format_time

LIVE = "(SELECT live FROM projection_generations WHERE name = 'commitments')"
CHECKPOINT_SQL = (
    "SELECT c.position FROM projection_checkpoints c JOIN projection_generations g"
    " ON g.name = c.name AND g.live = c.generation WHERE c.name = 'commitments'"
)
# $1 is always `now`; the filters add $2, $3, ... in the order they are given.
LIST_SQL = f"""
SELECT * FROM (
    SELECT s.commitment_id, s.promisor, s.promisees, s.agreement, s.verdict, s.basis,
           s.disputed,
           CASE WHEN $1 <= s.switch_at THEN s.schedule_until ELSE s.schedule_after END
               AS schedule,
           s.due_by, s.last_position
    FROM commitment_status_current s
    WHERE s.generation = {LIVE} AND s.verdict IS NOT NULL {{filters}}
) AS current {{schedule}}
ORDER BY commitment_id LIMIT {{limit}}
"""
ROW_SQL = f"""
SELECT s.commitment_id, s.promisor, s.promisees, s.agreement, s.verdict, s.basis, s.disputed,
       CASE WHEN $2 <= s.switch_at THEN s.schedule_until ELSE s.schedule_after END AS schedule,
       s.due_by, s.last_position
FROM commitment_status_current s
WHERE s.generation = {LIVE} AND s.commitment_id = $1 AND s.verdict IS NOT NULL
"""
CANDIDATES_SQL = f"""
SELECT s.commitment_id FROM commitment_status_current s
WHERE s.generation = {LIVE} {{filters}} ORDER BY s.commitment_id
"""
PARTY_SQL = f"""
SELECT t.verdict, CASE WHEN $2 <= t.switch_at THEN t.schedule_until ELSE t.schedule_after END,
       t.basis, sum(t.n)::int
FROM party_tallies t WHERE t.generation = {LIVE} AND t.party_id = $1 AND t.n > 0
GROUP BY 1, 2, 3
"""
AGREEMENT_SQL = f"""
SELECT t.promisor, t.verdict,
       CASE WHEN $2 <= t.switch_at THEN t.schedule_until ELSE t.schedule_after END,
       t.basis, sum(t.n)::int
FROM agreement_tallies t WHERE t.generation = {LIVE} AND t.agreement_id = $1 AND t.n > 0
GROUP BY 1, 2, 3, 4 ORDER BY 1
"""
# Each static filter, as a SQL fragment over a parameter the caller supplies.
FILTERS = {
    "promisor": "s.promisor = ${}",
    "promisee": "s.promisees @> ARRAY[${}::text]",
    "agreement": "s.agreement = ${}",
    "verdict": "s.verdict = ${}",
    "basis": "s.basis = ${}",
    "after": "s.commitment_id > ${}",
}


async def checkpoint(pool: Any) -> int:
    """The log position the live read tables reflect: every event up to it, none after."""
    return int(await pool.fetchval(CHECKPOINT_SQL) or 0)


async def wait_for_position(pool: Any, position: int, timeout: float) -> bool:
    """True once `checkpoint(pool) >= position`; False if `timeout` seconds pass first.

    For read-your-writes: pass the position a write returned. Polls with a short, growing
    interval (5 to 50 ms), never past the deadline.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    interval = 0.005
    while await checkpoint(pool) < position:
        left = deadline - loop.time()
        if left <= 0:
            return False
        await asyncio.sleep(min(interval, left))
        interval = min(interval * 1.5, 0.05)
    return True


async def list_current(
    pool: Any,
    *,
    promisor: str | None = None,
    promisee: str | None = None,
    agreement: str | None = None,
    verdict: str | None = None,
    basis: str | None = None,
    schedule: str | None = None,
    now: datetime,
    limit: int = 100,
    after: str | None = None,
) -> list[dict[str, Any]]:
    """Commitments existing now, matching every filter given, ordered by id, after `after`.

    Each row: {id, promisor, promisees, agreement, verdict, basis, disputed, schedule, due_by,
    last_position}; `schedule` is R8 at `now`, `due_by` a canonical time string or None.
    Page with `after` = the last id of the previous page.
    """
    given = {"promisor": promisor, "promisee": promisee, "agreement": agreement,
             "verdict": verdict, "basis": basis, "after": after}  # fmt: skip
    filters, args = _filters(given, first=2)
    schedule_sql = ""
    if schedule is not None:
        args.append(schedule)
        schedule_sql = f"WHERE schedule = ${len(args) + 1}"
    sql = LIST_SQL.format(filters=filters, schedule=schedule_sql, limit=int(limit))
    rows = await pool.fetch(sql, now, *args)
    return [_row_json(r) for r in rows]


async def current_row(pool: Any, commitment_id: str, now: datetime) -> dict[str, Any] | None:
    """One commitment's row as `list_current` gives it; None if it does not exist now (or the
    projector has not seen it yet: see `wait_for_position`)."""
    row = await pool.fetchrow(ROW_SQL, commitment_id, now)
    return None if row is None else _row_json(row)


async def candidate_ids(
    pool: Any,
    *,
    promisor: str | None = None,
    promisee: str | None = None,
    agreement: str | None = None,
) -> list[str]:
    """Every commitment id the projector has seen made (even one that does not exist now),
    matching the given static attributes, ordered by id. For as_of/known_at queries: fold
    each with `commitment_status` and drop those that do not exist at (V, K). Call
    `wait_for_position` first to include a commitment just created."""
    given = {"promisor": promisor, "promisee": promisee, "agreement": agreement}
    filters, args = _filters(given, first=1)
    rows = await pool.fetch(CANDIDATES_SQL.format(filters=filters), *args)
    return [r[0] for r in rows]


async def party_tally(pool: Any, party_id: str, now: datetime) -> dict[str, Any]:
    """The commitments `party_id` made that exist now: {total, verdicts, schedules, bases,
    kept_ratio, unverified_outcomes}, the shape of
    `service.domain.tallies.party_compliance(...).to_json()`."""
    rows = await pool.fetch(PARTY_SQL, party_id, now)
    return tally_counts((r[0], r[1], r[2], r[3]) for r in rows).to_json()


async def agreement_tally(pool: Any, agreement_id: str, now: datetime) -> dict[str, Any]:
    """{overall, promisors: {promisor: tally}}, the shape of
    `service.domain.tallies.agreement_compliance(...).to_json()`."""
    rows = await pool.fetch(AGREEMENT_SQL, agreement_id, now)
    promisors = sorted({r[0] for r in rows})
    return AgreementTally(
        overall=tally_counts((r[1], r[2], r[3], r[4]) for r in rows),
        promisors={
            p: tally_counts((r[1], r[2], r[3], r[4]) for r in rows if r[0] == p) for p in promisors
        },
    ).to_json()


def _filters(given: dict[str, str | None], *, first: int) -> tuple[str, list[Any]]:
    """SQL fragments (fixed text, numbered parameters) for the filters that are not None."""
    parts: list[str] = []
    args: list[Any] = []
    for name, value in given.items():
        if value is not None:
            args.append(value)
            parts.append("AND " + FILTERS[name].format(first + len(args) - 1))
    return " ".join(parts), args


def _row_json(r: Any) -> dict[str, Any]:
    return {
        "id": r["commitment_id"],
        "promisor": r["promisor"],
        "promisees": list(r["promisees"]),
        "agreement": r["agreement"],
        "verdict": r["verdict"],
        "basis": r["basis"],
        "disputed": r["disputed"],
        "schedule": r["schedule"],
        "due_by": None if r["due_by"] is None else format_time(r["due_by"]),
        "last_position": r["last_position"],
    }
