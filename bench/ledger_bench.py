"""The verifiable ledger's costs, in one run: appends with the tree kept vs without,
`pledger verify` over 100,000 events, and inclusion-proof latency at a 1,000,000-leaf tree.

    .venv/bin/python bench/ledger_bench.py [--seconds 5] [--rounds 2] [--verify 100000]
                                           [--tree 1000000] [--proofs 2000] [--only proofs]

Uses DATABASE_URL when set, else a throwaway embedded PostgreSQL. Never run by the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp  # noqa: E402
from aiohttp.test_utils import TestServer  # noqa: E402

from bench.common import bench_database, median, percentile  # noqa: E402
from service.app import create_app  # noqa: E402
from service.config import Settings  # noqa: E402
from service.ledger.builder import build_once, run_builder  # noqa: E402
from service.ledger.checkpoint import SigningKey  # noqa: E402
from service.ledger.checkpointer import checkpoint_once, run_checkpointer  # noqa: E402
from service.ledger.merkle import extend_tree, range_nodes  # noqa: E402
from service.ledger.tree_store import TreeStore  # noqa: E402
from service.ledger.verify import verify_ledger  # noqa: E402
from service.log.records import NewEvent  # noqa: E402
from service.store.database import create_pool  # noqa: E402
from service.store.postgres import PostgresStore  # noqa: E402

DATA = {"assessor": "un-monitor", "verdict": "in_progress", "strength": "reported", "level": 2}
META = {"actor": "bench", "request_id": "r"}
KEY = SigningKey.generate("bench.pledger")


def event() -> NewEvent:
    return NewEvent("assessment_recorded", DATA, datetime.now(UTC), META, uuid.uuid4())


async def append_rate(store: PostgresStore, seconds: float, clients: int) -> float:
    """Events/s from `clients` callers appending one event each to new streams."""
    count, deadline = 0, time.perf_counter() + seconds

    async def client() -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            await store.append(f"bench-{uuid.uuid4().hex}", [event()], "no_stream")
            count += 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return count / (time.perf_counter() - started)


async def appends_with_and_without(args: argparse.Namespace) -> None:
    async with bench_database("pledger_bench_appends") as dsn:
        pool = await create_pool(dsn, role="pledger_app", min_size=4, max_size=12, timeout=10)
        store, tree = PostgresStore(pool, dsn, poll_interval=0.05), TreeStore(pool)
        without, with_tree = [], []
        await append_rate(store, 1.0, args.clients)  # warm-up: connections, caches, JIT-free paths
        for _ in range(args.rounds):
            without.append(await append_rate(store, args.seconds, args.clients))
            workers = [
                asyncio.create_task(run_builder(store, tree, batch_size=2000, idle_seconds=0.05)),
                asyncio.create_task(
                    run_checkpointer(tree, KEY, KEY.name, every_events=1000, every_seconds=10)
                ),
            ]
            with_tree.append(await append_rate(store, args.seconds, args.clients))
            lag = await store.head_position() - await tree.size()
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            print(
                f"  round: without {without[-1]:,.0f}/s, with tree {with_tree[-1]:,.0f}/s,"
                f" tree lag at the end {lag} events"
            )
        ratio = median(with_tree) / median(without)
        print(
            f"appends ({args.clients} clients, {args.seconds}s x {args.rounds}): without tree"
            f" {median(without):,.0f}/s, with tree {median(with_tree):,.0f}/s,"
            f" ratio {ratio:.2f} (goal >= 0.90)"
        )
        await store.close()
        await pool.close()


async def verify_rate(args: argparse.Namespace) -> None:
    async with bench_database("pledger_bench_verify") as dsn:
        pool = await create_pool(dsn, role="pledger_app", min_size=4, max_size=8, timeout=10)
        store, tree = PostgresStore(pool, dsn, batch_max=1000), TreeStore(pool)
        per_call, calls = 500, args.verify // 500

        async def writer(n: int) -> None:
            for _ in range(n):
                await store.append(
                    f"bench-{uuid.uuid4().hex}", [event() for _ in range(per_call)], "no_stream"
                )

        await asyncio.gather(*(writer(calls // 4) for _ in range(4)))
        while await build_once(tree, 10_000):
            pass
        await checkpoint_once(tree, KEY, KEY.name, every_events=1, every_seconds=1)
        async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            started = time.perf_counter()
            report = await verify_ledger(conn, KEY.verifier, lambda *_: _NoBar())
            elapsed = time.perf_counter() - started
        assert report.ok, report.findings
        print(
            f"verify: {report.events:,} events, {report.nodes:,} nodes, {report.checkpoints}"
            f" checkpoint(s) in {elapsed:.2f}s = {report.events / elapsed:,.0f} events/s"
            f" (goal >= 50,000)"
        )
        await store.close()
        await pool.close()


class _NoBar:
    def update(self, n: int) -> None: ...
    def close(self) -> None: ...


async def synthetic_tree(pool: Any, size: int) -> None:
    """Store the tree of `size` synthetic leaves the way the builder does, in chunks."""
    done, chunk = 0, 1 << 16
    frontier: dict[tuple[int, int], bytes] = {}
    while done < size:
        n = min(chunk, size - done)
        leaves = [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(done, done + n)]
        new = extend_tree(done, frontier, leaves)
        async with pool.acquire() as conn:
            await conn.copy_records_to_table(
                "merkle_nodes",
                records=[(lvl, i, h) for (lvl, i), h in new.items()],
                columns=["level", "index", "hash"],
            )
        done += n
        known = frontier | new
        frontier = {node: known[node] for node in range_nodes(0, done)}


async def proof_latency(args: argparse.Namespace) -> None:
    async with bench_database("pledger_bench_proofs") as dsn:
        pool = await create_pool(dsn, role="", min_size=2, max_size=8, timeout=10)
        started = time.perf_counter()
        await synthetic_tree(pool, args.tree)
        async with pool.acquire() as conn:
            await conn.execute("ANALYZE merkle_nodes")
        print(f"  built a {args.tree:,}-leaf tree in {time.perf_counter() - started:.1f}s")
        settings = Settings(database_url=dsn, access_log=False)
        server = TestServer(create_app(settings))
        await server.start_server()
        latencies = []
        async with aiohttp.ClientSession() as http:
            for _ in range(args.proofs):
                position = random.randint(1, args.tree)
                url = server.make_url(f"/v1/events/{position}/proof?tree_size={args.tree}")
                t = time.perf_counter()
                async with http.get(url) as response:
                    assert response.status == 200, await response.text()
                    await response.read()
                latencies.append(time.perf_counter() - t)
        await server.close()
        await pool.close()
        ms = [x * 1000 for x in latencies]
        print(
            f"inclusion proof at tree size {args.tree:,} over HTTP ({args.proofs} requests):"
            f" p50 {percentile(ms, 0.5):.2f} ms, p99 {percentile(ms, 0.99):.2f} ms"
            f" (goal p99 < 10 ms)"
        )


PARTS = {"appends": appends_with_and_without, "verify": verify_rate, "proofs": proof_latency}


async def main(args: argparse.Namespace) -> None:
    for part in args.only.split(","):
        await PARTS[part](args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--verify", type=int, default=100_000)
    parser.add_argument("--tree", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=2000)
    parser.add_argument("--only", default="appends,verify,proofs", help="comma-separated parts")
    asyncio.run(main(parser.parse_args()))
