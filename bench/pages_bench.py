"""The HTML pages' latency for a commitment with many events, over loopback HTTP.

    .venv/bin/python bench/pages_bench.py [--events 1000] [--requests 200] [--rounds 3]

One commitment gets `events` events (its making, then assessments by 20 assessors on distinct
days, deadline changes and corrections), so its page folds the verdict band at the 120 spread
dates and lists every event. Each round GETs the timeline page (as of now, and as of a date in
the middle), the promisor's party page, the overview and, for scale, the JSON status, one at a
time (closed loop, one client), `requests` each after a short warm-up; then `cold` timeline
views, each right after a new event (the verdict bands folded afresh rather than memoised).
Prints p50 and p99 per page, medians over rounds. Uses DATABASE_URL when set, else a throwaway
embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import bench_database, median, percentile  # noqa: E402
from bench.http_load import one_by_one, serve, timed_get  # noqa: E402
from service.app import create_app  # noqa: E402
from service.config import Settings  # noqa: E402
from service.log.records import NewEvent, format_time  # noqa: E402
from service.store.database import create_pool  # noqa: E402
from service.store.postgres import PostgresStore  # noqa: E402

START = datetime(2021, 1, 1, tzinfo=UTC)
SOURCE = {"title": "bench", "url": "https://example.org/bench", "quote": "a quoted sentence"}
ASSESSORS = [f"monitor-{n}" for n in range(20)]
GOAL_P99 = 0.100


def made(cid: str) -> NewEvent:
    data = {"id": cid, "promisor": "promisor", "promisees": ["promisee"], "text": "Do it.",
            "made_at": format_time(START), "source": SOURCE,
            "due_by": format_time(START + timedelta(days=400))}  # fmt: skip
    return NewEvent("commitment_made", data, START)


def evidence(n: int, rng: random.Random, earlier: list[str]) -> NewEvent:
    at = START + timedelta(days=n)
    kind = rng.random()
    if kind < 0.05:
        due = format_time(at + timedelta(days=200))
        return NewEvent("deadline_changed", {"due_by": due, "source": SOURCE}, at)
    if kind < 0.08 and earlier:
        data = {"corrects": earlier.pop(rng.randrange(len(earlier))), "reason": "misfiled"}
        return NewEvent("correction_recorded", data, at)
    data = {"assessor": rng.choice(ASSESSORS), "source": SOURCE, "effective_at": format_time(at),
            "verdict": rng.choice(["in_progress", "stalled", "fulfilled", "breached"]),
            "strength": rng.choice(["claimed", "reported", "verified"])}  # fmt: skip
    event_id = uuid.uuid4()
    earlier.append(str(event_id))
    return NewEvent("assessment_recorded", data, at, {}, event_id)


async def fill(store: PostgresStore, events: int) -> str:
    for party in ["promisor", "promisee", *ASSESSORS]:
        data = {"id": party, "name": f"The {party}", "kind": "state"}
        await store.append(f"party-{party}", [NewEvent("party_registered", data, START)], 0)
    cid = f"bench-{uuid.uuid4().hex[:10]}"
    rng, earlier = random.Random(7), []
    stream = [made(cid)] + [evidence(n, rng, earlier) for n in range(1, events)]
    for start in range(0, len(stream), 100):
        await store.append(f"commitment-{cid}", stream[start : start + 100], start)
    return cid


async def cold_views(
    session: aiohttp.ClientSession, store: PostgresStore, url: str, cid: str, count: int
) -> list[float]:
    """Each view right after a new event, so the verdict bands are folded afresh every time."""
    rng, latencies = random.Random(11), []
    for _ in range(count):
        version = len(await store.read_stream(f"commitment-{cid}", 1, 100_000))
        await store.append(f"commitment-{cid}", [evidence(version, rng, [])], version)
        latencies.append(await timed_get(session, url))
    return latencies


async def one_round(
    base: str, store: PostgresStore, cid: str, args: argparse.Namespace
) -> dict[str, list[float]]:
    middle = format_time(START + timedelta(days=args.events // 2))[:10]
    pages = {
        "timeline page (now)": f"/commitments/{cid}",
        "timeline page (as_of mid)": f"/commitments/{cid}?as_of={middle}",
        "party page (promisor)": "/parties/promisor",
        "overview page": "/",
        "JSON status (for scale)": f"/v1/commitments/{cid}/status",
    }
    results: dict[str, list[float]] = {}
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for name, path in pages.items():
            await one_by_one(session, base + path, 10)  # warm-up
            results[name] = await one_by_one(session, base + path, args.requests)
        url = f"{base}/commitments/{cid}"
        results["timeline page, cold"] = await cold_views(session, store, url, cid, args.cold)
    return results


async def main(args: argparse.Namespace) -> None:
    async with bench_database("pledger_pages_bench") as dsn:
        pool = await create_pool(dsn, role="pledger_app", min_size=2, max_size=8, timeout=10)
        store = PostgresStore(pool, dsn)
        cid = await fill(store, args.events)
        settings = Settings(database_url=dsn, access_log=False, workers=False)
        rounds: list[dict[str, list[float]]] = []
        async with serve(create_app(settings, store=store, pool=pool)) as base:
            for _ in range(args.rounds):
                rounds.append(await one_round(base, store, cid, args))
        await store.close()
        await pool.close()
    report(rounds, args)


def report(rounds: list[dict[str, list[float]]], args: argparse.Namespace) -> None:
    print(f"pages for one commitment of {args.events} events; {args.requests} sequential GETs")
    print(f"per page per round, medians of {args.rounds} rounds (loopback, one client)")
    for name in rounds[0]:
        p50 = median([percentile(r[name], 0.50) for r in rounds]) * 1000
        p99 = median([percentile(r[name], 0.99) for r in rounds]) * 1000
        print(f"  {name:28s} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms")
    warm = [n for n in rounds[0] if "page" in n and "cold" not in n]
    worst = max(median([percentile(r[n], 0.99) for r in rounds]) for n in warm)
    verdict = "meets" if worst < GOAL_P99 else "misses"
    print(
        f"worst warm page p99 {worst * 1000:.1f} ms: {verdict} the goal of {GOAL_P99 * 1000:.0f} ms"
    )
    print(
        "(a cold view folds the verdict band afresh; the machine may be shared: rerun to compare)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cold", type=int, default=20, help="views after a new event, per round")
    asyncio.run(main(parser.parse_args()))
