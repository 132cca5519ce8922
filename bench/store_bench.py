"""Event store vs raw asyncpg, side by side in one run: append throughput/latency, global read.

    .venv/bin/python bench/store_bench.py [--appends 5000] [--read 100000] [--rounds 3]

Uses DATABASE_URL when set, else a throwaway embedded PostgreSQL. Prints medians over rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg  # noqa: E402

from bench.common import bench_database, median, percentile  # noqa: E402
from service.log.records import NewEvent  # noqa: E402
from service.store.database import create_pool  # noqa: E402
from service.store.postgres import PostgresStore  # noqa: E402

RAW_TABLE = """
CREATE TABLE raw_events (
    position bigserial PRIMARY KEY, stream_id text NOT NULL, version integer NOT NULL,
    event_id uuid NOT NULL, type text NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL,
    occurred_at timestamptz NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now(),
    canonical bytea NOT NULL)
"""
NAIVE_TABLE = RAW_TABLE.replace("raw_events", "naive_events").replace("bigserial", "bigint")
NAIVE_INSERT = (
    "INSERT INTO naive_events (position, stream_id, version, event_id, type, data, metadata,"
    " occurred_at, canonical) SELECT coalesce(max(position), 0) + 1, $1, 1, $2,"
    " 'assessment_recorded', $3, $4, $5, $6 FROM naive_events"
)
RAW_INSERT = (
    "INSERT INTO raw_events (stream_id, version, event_id, type, data, metadata, occurred_at,"
    " canonical) VALUES ($1, 1, $2, 'assessment_recorded', $3, $4, $5, $6)"
)
DATA = {"assessor": "un-monitor", "verdict": "in_progress", "strength": "reported", "level": 2}
META = {"actor": "bench", "request_id": "r"}


def event() -> NewEvent:
    return NewEvent("assessment_recorded", DATA, datetime.now(UTC), META, uuid.uuid4())


Append = Callable[[Any], Awaitable[None]]


async def timed(
    total: int, clients: int, one: Append, connection: Callable[[], Any] | None = None
) -> tuple[float, list[float]]:
    """`clients` concurrent loops calling `one(conn)`; events/s and each call's latency."""
    latencies: list[float] = []

    async def client(n: int) -> None:
        async with connection() if connection else contextlib.nullcontext() as conn:
            for _ in range(n):
                t = time.perf_counter()
                await one(conn)
                latencies.append(time.perf_counter() - t)

    started = time.perf_counter()
    await asyncio.gather(*(client(total // clients) for _ in range(clients)))
    return total / (time.perf_counter() - started), latencies


def _row(prefix: str) -> tuple[Any, ...]:
    data, meta = json.dumps(DATA), json.dumps(META)
    return f"{prefix}-{uuid.uuid4()}", uuid.uuid4(), data, meta, datetime.now(UTC), b"x" * 300


async def raw_appends(pool: asyncpg.Pool, total: int, clients: int) -> tuple[float, list[float]]:
    async def one(conn: Any) -> None:
        await conn.execute(RAW_INSERT, *_row("raw"))

    return await timed(total, clients, one, pool.acquire)


async def naive_appends(pool: asyncpg.Pool, total: int, clients: int) -> tuple[float, list[float]]:
    """The naive serialisation: one transaction per append under one lock, head read inside."""

    async def one(conn: Any) -> None:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(42)")
            await conn.execute(NAIVE_INSERT, *_row("naive"))

    return await timed(total, clients, one, pool.acquire)


async def store_appends(
    store: PostgresStore, total: int, clients: int
) -> tuple[float, list[float]]:
    async def one(_: Any) -> None:
        await store.append(f"bench-{uuid.uuid4()}", [event()], "no_stream")

    return await timed(total, clients, one)


async def fill(store: PostgresStore, pool: asyncpg.Pool, count: int) -> None:
    """Bring both tables to at least `count` rows, in large batches."""
    while await store.head_position() < count:
        await store.append(f"fill-{uuid.uuid4()}", [event() for _ in range(1000)], "any")
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO raw_events (stream_id, version, event_id, type, data, metadata,"
            " occurred_at, recorded_at, canonical) SELECT stream_id, version, event_id, type,"
            " data, metadata, occurred_at, recorded_at, canonical FROM events"
            " ORDER BY position LIMIT $1",
            count,
        )


async def raw_read(pool: asyncpg.Pool, count: int, page: int) -> float:
    """Keyset pages of every column, decoding data as a consumer would."""
    started, after, seen = time.perf_counter(), 0, 0
    async with pool.acquire() as conn:
        while seen < count:
            rows = await conn.fetch(
                "SELECT * FROM raw_events WHERE position > $1 ORDER BY position LIMIT $2",
                after,
                page,
            )
            for r in rows:
                json.loads(r["data"])
            seen += len(rows)
            after = rows[-1]["position"]
    return seen / (time.perf_counter() - started)


async def store_read(store: PostgresStore, count: int, page: int) -> float:
    started, after, seen = time.perf_counter(), 0, 0
    while seen < count:
        events = await store.read_all(after, page)
        for e in events:
            e.data  # noqa: B018 - decode, as a consumer would
        seen += len(events)
        after = events[-1].position
    return seen / (time.perf_counter() - started)


async def main(args: argparse.Namespace) -> None:
    async with bench_database() as dsn:
        raw_pool = await asyncpg.create_pool(dsn, min_size=8, max_size=8)
        await raw_pool.execute(RAW_TABLE)
        await raw_pool.execute(NAIVE_TABLE)
        pool = await create_pool(dsn, role="pledger_app", min_size=2, max_size=8, timeout=10)
        store = PostgresStore(pool, dsn, writers=args.writers)
        results: dict[str, list[float]] = {}
        for _ in range(args.rounds):
            for clients in (1, 8):
                raw_rate, raw_lat = await raw_appends(raw_pool, args.appends, clients)
                st_rate, st_lat = await store_appends(store, args.appends, clients)
                naive_rate, _ = await naive_appends(raw_pool, args.appends, clients)
                results.setdefault(f"naive_ratio_{clients}", []).append(naive_rate / raw_rate)
                for key, value in (
                    (f"raw_append_{clients}", raw_rate),
                    (f"store_append_{clients}", st_rate),
                    (f"raw_p50_{clients}", percentile(raw_lat, 0.5)),
                    (f"raw_p99_{clients}", percentile(raw_lat, 0.99)),
                    (f"store_p50_{clients}", percentile(st_lat, 0.5)),
                    (f"store_p99_{clients}", percentile(st_lat, 0.99)),
                    (f"ratio_append_{clients}", st_rate / raw_rate),
                ):
                    results.setdefault(key, []).append(value)
        await fill(store, raw_pool, args.read)
        for _ in range(args.rounds):
            raw_rate = await raw_read(raw_pool, args.read, args.page)
            st_rate = await store_read(store, args.read, args.page)
            results.setdefault("raw_read", []).append(raw_rate)
            results.setdefault("store_read", []).append(st_rate)
            results.setdefault("ratio_read", []).append(st_rate / raw_rate)
        await store.close()
        await pool.close()
        await raw_pool.close()
    report(results, args)


def report(results: dict[str, list[float]], args: argparse.Namespace) -> None:
    m = {k: median(v) for k, v in results.items()}
    print(
        f"store_bench: medians of {args.rounds} rounds; {args.appends} single-event appends, "
        f"{args.read} events read in pages of {args.page}"
    )
    for c in (1, 8):
        print(
            f"  append {c} client(s): raw {m[f'raw_append_{c}']:8.0f} ev/s  "
            f"store {m[f'store_append_{c}']:8.0f} ev/s  ratio {m[f'ratio_append_{c}']:.2f}  | "
            f"p50 raw {m[f'raw_p50_{c}'] * 1e3:.2f} ms store {m[f'store_p50_{c}'] * 1e3:.2f} ms  "
            f"p99 raw {m[f'raw_p99_{c}'] * 1e3:.2f} ms store {m[f'store_p99_{c}'] * 1e3:.2f} ms"
        )
    print(
        f"  naive lock per append (one transaction each), ratio to raw: 1 client"
        f" {m['naive_ratio_1']:.2f}, 8 clients {m['naive_ratio_8']:.2f}"
    )
    print(
        f"  global read: raw {m['raw_read']:8.0f} ev/s  store {m['store_read']:8.0f} ev/s  "
        f"ratio {m['ratio_read']:.2f}"
    )
    print("  goals: append ratio at 8 clients >= 0.70; read ratio >= 0.50")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--appends", type=int, default=5000)
    parser.add_argument("--read", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--writers", type=int, default=1, help="concurrent batch writers")
    asyncio.run(main(parser.parse_args()))
