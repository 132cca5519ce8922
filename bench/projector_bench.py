"""Projector catch-up vs the raw global read, in one run; current-status read latency under load.

    .venv/bin/python bench/projector_bench.py [--commitments 10000] [--per 10] [--rounds 3]

The log holds `commitments` x `per` events (commitment_made, then assessments, deadline changes
and condition events), appended round-robin so that each commitment's events are spread over the
whole log, as in a live system: every batch touches many commitments, each one folded again.
Catch-up = `rebuild()` from position 0 into a new generation and its swap (what `pledger
rebuild` does), with the rebuild's cache budget and again with the service's (smaller: more
batches, so a commitment spread over the log is folded more often); raw = `SELECT position,
canonical ... ORDER BY position` in keyset pages, no decoding. Then `current_row` (one
commitment from the read tables) at a fixed 200 requests/s.
Uses DATABASE_URL when set, else a throwaway embedded PostgreSQL. Prints medians over rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import bench_database, median, percentile  # noqa: E402
from service.log.records import NewEvent, format_time  # noqa: E402
from service.projections import queries  # noqa: E402
from service.projections.rebuild import REBUILD_CACHE_BYTES, rebuild  # noqa: E402
from service.projections.streams import CACHE_BYTES  # noqa: E402
from service.store.database import create_pool  # noqa: E402
from service.store.postgres import PostgresStore  # noqa: E402

START = datetime(2021, 1, 1, tzinfo=UTC)
SOURCE = {"title": "bench"}
RAW_SQL = "SELECT position, canonical FROM events WHERE position > $1 ORDER BY position LIMIT $2"


def made(cid: str, i: int) -> NewEvent:
    data = {"id": cid, "promisor": f"party-{i % 50}", "promisees": [f"party-{(i + 1) % 50}"],
            "agreement": f"agreement-{i % 20}", "text": "do it", "made_at": format_time(START),
            "due_by": format_time(START + timedelta(days=200 + i % 400)), "source": SOURCE,
            "conditions": [{"id": "x", "text": "if"}]}  # fmt: skip
    return NewEvent("commitment_made", data, START)


def evidence(n: int, rng: random.Random) -> NewEvent:
    at = START + timedelta(days=n * 10)
    kind = rng.random()
    if kind < 0.1:
        return NewEvent("deadline_changed", {"due_by": format_time(at + timedelta(days=300)),
                                             "source": SOURCE}, at)  # fmt: skip
    if kind < 0.15:
        return NewEvent("condition_met", {"condition": "x", "source": SOURCE}, at)
    verdict = rng.choice(["in_progress", "stalled", "fulfilled", "breached"])
    data = {"assessor": f"monitor-{rng.randrange(3)}", "verdict": verdict,
            "strength": rng.choice(["claimed", "reported", "verified"]),
            "effective_at": format_time(at), "source": SOURCE}  # fmt: skip
    return NewEvent("assessment_recorded", data, at)


async def fill(store: PostgresStore, commitments: int, per: int) -> list[str]:
    """Round r appends the r-th event of every commitment, 16 appends in flight."""
    rng = random.Random(7)
    ids = [f"bench-{uuid.uuid4().hex[:10]}" for _ in range(commitments)]
    for r in range(per):
        work = [(cid, made(cid, i) if r == 0 else evidence(r, rng)) for i, cid in enumerate(ids)]
        for start in range(0, len(work), 16):
            await asyncio.gather(*(store.append(f"commitment-{cid}", [e], r)
                                   for cid, e in work[start:start + 16]))  # fmt: skip
        print(f"  filled round {r + 1}/{per}", file=sys.stderr)
    return ids


async def raw_read(pool: Any, page: int, *, decode: bool) -> tuple[float, int]:
    """Every event in keyset pages; with `decode`, each one's JSON parsed as any consumer must."""
    started, after, seen = time.perf_counter(), 0, 0
    async with pool.acquire() as conn:
        while rows := await conn.fetch(RAW_SQL, after, page):
            if decode:
                for r in rows:
                    json.loads(r[1])
            seen += len(rows)
            after = rows[-1][0]
    return seen / (time.perf_counter() - started), seen


async def catch_up(store: PostgresStore, dsn: str, batch: int, cache_bytes: int) -> float:
    report = await rebuild(store, dsn, role="pledger_app", batch_size=batch,
                           cache_bytes=cache_bytes)  # fmt: skip
    return report.position / report.seconds


async def status_reads(pool: Any, ids: list[str], rate: float, seconds: float) -> list[float]:
    """Open loop: a request starts every 1/rate s whatever the others do; latency of each."""
    rng = random.Random(11)
    latencies: list[float] = []

    async def one() -> None:
        t = time.perf_counter()
        row = await queries.current_row(pool, rng.choice(ids), datetime.now(UTC))
        latencies.append(time.perf_counter() - t)
        assert row is not None

    loop = asyncio.get_running_loop()
    tasks, start = [], loop.time()
    for n in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, start + n / rate - loop.time()))
        tasks.append(asyncio.create_task(one()))
    await asyncio.gather(*tasks)
    return latencies


async def main(args: argparse.Namespace) -> None:
    async with bench_database("pledger_proj_bench") as dsn:
        pool = await create_pool(dsn, role="pledger_app", min_size=4, max_size=8, timeout=10)
        store = PostgresStore(pool, dsn)
        ids = await fill(store, args.commitments, args.per)
        results: dict[str, list[float]] = {}
        for _ in range(args.rounds):
            for key, value in (await one_round(store, pool, dsn, ids, args)).items():
                results.setdefault(key, []).append(value)
        await store.close()
        await pool.close()
    report({k: median(v) for k, v in results.items()}, args)


async def one_round(
    store: PostgresStore, pool: Any, dsn: str, ids: list[str], args: argparse.Namespace
) -> dict[str, float]:
    raw, total = await raw_read(pool, args.page, decode=False)
    decoded, _ = await raw_read(pool, args.page, decode=True)
    projected = await catch_up(store, dsn, args.batch, REBUILD_CACHE_BYTES)
    served = await catch_up(store, dsn, args.batch, CACHE_BYTES)
    lat = await status_reads(pool, ids, args.rate, args.seconds)
    print(f"  round: raw {raw:,.0f} ev/s, decoded {decoded:,.0f} ev/s, projector"
          f" {projected:,.0f} ev/s, read p99 {percentile(lat, 0.99) * 1e3:.2f} ms",
          file=sys.stderr)  # fmt: skip
    return {"raw": raw, "decoded": decoded, "projector": projected, "ratio": projected / raw,
            "served": served, "ratio_served": served / decoded,
            "ratio_decoded": projected / decoded, "p50": percentile(lat, 0.5),
            "p99": percentile(lat, 0.99), "total": total}  # fmt: skip


def report(m: dict[str, float], args: argparse.Namespace) -> None:
    print(f"projector_bench: medians of {args.rounds} rounds; {int(m['total']):,} events"
          f" ({args.commitments:,} commitments x {args.per}), batch {args.batch}")  # fmt: skip
    print(f"  projector catch-up (rebuild) {m['projector']:10,.0f} ev/s")
    budgets = f"{CACHE_BYTES >> 20} MiB; the rebuild's {REBUILD_CACHE_BYTES >> 20} MiB"
    print(f"  same, service's cache budget {m['served']:10,.0f} ev/s   ratio to decoded"
          f" {m['ratio_served']:.2f}  ({budgets})")  # fmt: skip
    print(f"  global read, bytes only      {m['raw']:10,.0f} ev/s   ratio {m['ratio']:.2f}"
          "  (goal >= 0.30)")  # fmt: skip
    print(f"  global read, JSON decoded    {m['decoded']:10,.0f} ev/s   ratio"
          f" {m['ratio_decoded']:.2f}  (goal >= 0.30)")  # fmt: skip
    load = f"{args.rate:.0f} req/s for {args.seconds:.0f}s"
    print(f"  current status from the read tables at {load}: p50 {m['p50'] * 1e3:.2f} ms"
          f"  p99 {m['p99'] * 1e3:.2f} ms  (goal p99 < 10 ms)")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commitments", type=int, default=10_000)
    parser.add_argument("--per", type=int, default=10, help="events per commitment")
    parser.add_argument("--batch", type=int, default=2000, help="projector batch size")
    parser.add_argument("--page", type=int, default=2000, help="raw read page size")
    parser.add_argument("--rate", type=float, default=200.0, help="status reads per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
