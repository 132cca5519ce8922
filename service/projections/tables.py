"""The projector's writes to the read tables (schema/002, 005), on one connection.

Each batch is one transaction: lock the checkpoint row, upsert the touched commitments' rows,
add the tally deltas, move the checkpoint. All statements take whole arrays (one round trip each).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from service.projections.rows import NEVER, StatusRow

PROJECTION = "commitments"

LIVE_SQL = "SELECT live FROM projection_generations WHERE name = $1"
# FOR SHARE: a rebuild's swap (UPDATE of this row) waits for the batch, and the batch for it.
LOCK_LIVE_SQL = "SELECT live FROM projection_generations WHERE name = $1 FOR SHARE"
CHECKPOINT_SQL = "SELECT position FROM projection_checkpoints WHERE name = $1 AND generation = $2"
LOCK_CHECKPOINT_SQL = CHECKPOINT_SQL + " FOR UPDATE"
SET_CHECKPOINT_SQL = (
    "UPDATE projection_checkpoints SET position = $3, updated_at = now()"
    " WHERE name = $1 AND generation = $2"
)
OLD_KEYS_SQL = """
SELECT commitment_id, promisor, agreement, verdict, basis, schedule_until, schedule_after,
       switch_at
FROM commitment_status_current WHERE generation = $1 AND commitment_id = ANY($2::text[])
"""
UPSERT_ROWS_SQL = """
INSERT INTO commitment_status_current AS s (
    generation, commitment_id, promisor, promisees, agreement, made_at, verdict, disputed,
    due_by, met_at, closed, schedule_until, schedule_after, switch_at, folded_at, refold_at,
    event_count, last_position, basis)
SELECT $1, u.id, u.promisor, ARRAY(SELECT jsonb_array_elements_text(u.promisees)), u.agreement,
       u.made_at, u.verdict, u.disputed, u.due_by, u.met_at, coalesce(u.until = 'closed', false),
       u.until, u.after, u.switch_at, u.folded_at, u.refold_at, u.event_count, u.last_position,
       u.basis
FROM unnest($2::text[], $3::text[], $4::jsonb[], $5::text[], $6::timestamptz[], $7::text[],
            $8::bool[], $9::timestamptz[], $10::timestamptz[], $11::text[], $12::text[],
            $13::timestamptz[], $14::timestamptz[], $15::timestamptz[], $16::int[], $17::bigint[],
            $18::text[])
     AS u(id, promisor, promisees, agreement, made_at, verdict, disputed, due_by, met_at, until,
          after, switch_at, folded_at, refold_at, event_count, last_position, basis)
ON CONFLICT (generation, commitment_id) DO UPDATE SET
    verdict = excluded.verdict, basis = excluded.basis, disputed = excluded.disputed,
    due_by = excluded.due_by,
    met_at = excluded.met_at, closed = excluded.closed, schedule_until = excluded.schedule_until,
    schedule_after = excluded.schedule_after, switch_at = excluded.switch_at,
    folded_at = excluded.folded_at, refold_at = excluded.refold_at,
    event_count = excluded.event_count, last_position = excluded.last_position
"""
PARTY_TALLY_SQL = """
INSERT INTO party_tallies AS t
    (generation, party_id, verdict, basis, schedule_until, schedule_after, switch_at, n)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::timestamptz[], $8::int[])
ON CONFLICT (generation, party_id, verdict, basis, schedule_until, schedule_after, switch_at)
DO UPDATE SET n = t.n + excluded.n
"""
AGREEMENT_TALLY_SQL = """
INSERT INTO agreement_tallies AS t
    (generation, agreement_id, promisor, verdict, basis, schedule_until, schedule_after,
     switch_at, n)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                         $8::timestamptz[], $9::int[])
ON CONFLICT (generation, agreement_id, promisor, verdict, basis, schedule_until, schedule_after,
             switch_at)
DO UPDATE SET n = t.n + excluded.n
"""
DUE_SQL = """
SELECT commitment_id FROM commitment_status_current
WHERE generation = $1 AND refold_at IS NOT NULL AND refold_at <= $2 ORDER BY commitment_id
"""
# Commitments whose row depends on a party's stream: it is their promisor or a promisee (R5).
OF_PARTIES_SQL = """
SELECT commitment_id FROM commitment_status_current
WHERE generation = $1 AND (promisor = ANY($2::text[]) OR promisees && $2::text[])
ORDER BY commitment_id
"""

Key = tuple[str, str, str, str, datetime]


async def live_generation(conn: Any) -> int:
    return int(await conn.fetchval(LIVE_SQL, PROJECTION))


async def checkpoint_of(conn: Any, generation: int) -> int | None:
    position = await conn.fetchval(CHECKPOINT_SQL, PROJECTION, generation)
    return None if position is None else int(position)


async def lock_batch(conn: Any, generation: int, follow_live: bool) -> tuple[int, int] | None:
    """In the batch's transaction: the generation to write and its checkpoint, both locked.

    Following the live generation, a swap that committed since our last batch shows here as
    another generation; None when the checkpoint row is gone (a retired generation).
    """
    if follow_live:
        generation = int(await conn.fetchval(LOCK_LIVE_SQL, PROJECTION))
    position = await conn.fetchval(LOCK_CHECKPOINT_SQL, PROJECTION, generation)
    return None if position is None else (generation, int(position))


async def write_batch(conn: Any, generation: int, rows: Sequence[StatusRow], position: int) -> None:
    """Rows, tally deltas and checkpoint; the caller holds the transaction and the locks."""
    if rows:
        old = await conn.fetch(OLD_KEYS_SQL, generation, [r.commitment_id for r in rows])
        await _add_tallies(conn, generation, _deltas(old, rows))
        await conn.execute(UPSERT_ROWS_SQL, generation, *_row_arrays(rows))
    await conn.execute(SET_CHECKPOINT_SQL, PROJECTION, generation, position)


async def of_parties(conn: Any, generation: int, party_ids: Sequence[str]) -> list[str]:
    """The commitments the projector has seen whose promisor or promisee is one of these."""
    return [r[0] for r in await conn.fetch(OF_PARTIES_SQL, generation, list(party_ids))]


async def due_for_refold(conn: Any, generation: int, now: datetime) -> list[str]:
    """Commitments with a future-dated event whose time has come: their fold has changed."""
    return [r[0] for r in await conn.fetch(DUE_SQL, generation, now)]


def _deltas(old: Iterable[Any], rows: Sequence[StatusRow]) -> Counter[tuple[str, ...]]:
    """(kind, owner, promisor, *key) -> change in count: each old row out, each new row in."""
    deltas: Counter[tuple[Any, ...]] = Counter()
    for r in old:
        if r["verdict"] is not None:
            switch_at = NEVER if r["switch_at"].tzinfo is None else r["switch_at"]  # 'infinity'
            key = (r["verdict"], r["basis"], r["schedule_until"], r["schedule_after"], switch_at)
            _count(deltas, r["promisor"], r["agreement"], key, -1)
    for row in rows:
        new = row.tally_key()
        if new is not None:
            _count(deltas, row.promisor, row.agreement, new, 1)
    return deltas


def _count(
    deltas: Counter[tuple[Any, ...]], promisor: str, agreement: str | None, key: Key, n: int
) -> None:
    deltas[("party", promisor, promisor, *key)] += n
    if agreement is not None:
        deltas[("agreement", agreement, promisor, *key)] += n


async def _add_tallies(conn: Any, generation: int, deltas: Counter[tuple[Any, ...]]) -> None:
    party: list[list[Any]] = [[] for _ in range(7)]
    agreement: list[list[Any]] = [[] for _ in range(8)]
    for (kind, owner, promisor, *key), n in deltas.items():
        if n == 0:
            continue
        values = [owner, *key, n] if kind == "party" else [owner, promisor, *key, n]
        for column, value in zip(party if kind == "party" else agreement, values, strict=True):
            column.append(value)
    if party[0]:
        await conn.execute(PARTY_TALLY_SQL, generation, *party)
    if agreement[0]:
        await conn.execute(AGREEMENT_TALLY_SQL, generation, *agreement)


def _row_arrays(rows: Sequence[StatusRow]) -> list[list[Any]]:
    columns: list[list[Any]] = [[] for _ in range(17)]
    for r in rows:
        step = r.step
        values = (
            r.commitment_id, r.promisor, json.dumps(r.promisees), r.agreement, r.made_at,
            r.verdict, r.disputed, r.due_by, r.met_at,
            None if step is None else step.until, None if step is None else step.after,
            NEVER if step is None else step.switch_at,
            r.folded_at, r.refold_at, r.event_count, r.last_position, r.basis,
        )  # fmt: skip
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    return columns
