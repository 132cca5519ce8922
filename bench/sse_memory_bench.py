"""Memory of a real `pledger serve` process while it streams 100,000 events over SSE.

    .venv/bin/python bench/sse_memory_bench.py [--events 100000] [--clients 1]

Starts the service as a subprocess on a bench database (DATABASE_URL's server, or a throwaway
embedded one), fills the log, then reads /v1/events/live from position 0 until every event has
arrived, sampling the server's resident memory. Prints idle and peak RSS; the goal is < 150 MB.
`--commitments N` fills with the events of N commitments (what the projector folds), 10 per
append, round-robin, instead of other streams (which the projector skips).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp  # noqa: E402
import psutil  # noqa: E402

from bench.common import bench_database  # noqa: E402
from service.log.records import NewEvent, format_time  # noqa: E402
from service.store.database import create_pool  # noqa: E402
from service.store.postgres import PostgresStore  # noqa: E402

DATA = {
    "assessor": "un-monitor",
    "verdict": "in_progress",
    "strength": "reported",
    "note": "x" * 200,
}


async def fill(dsn: str, count: int, commitments: int) -> None:
    pool = await create_pool(dsn, role="pledger_app", min_size=1, max_size=4, timeout=10)
    store = PostgresStore(pool, dsn)
    if commitments:
        await fill_commitments(store, count, commitments)
    while await store.head_position() < count:
        now = datetime.now(UTC)
        batch = [NewEvent("assessment_recorded", DATA, now) for _ in range(1000)]
        await store.append(f"fill-{uuid.uuid4()}", batch, "any")
    await store.close()
    await pool.close()


async def fill_commitments(store: PostgresStore, count: int, commitments: int) -> None:
    """`commitments` streams the projector folds, 10 events per append, round-robin, so each
    stream's events are spread over the log and every catch-up batch touches most of them."""
    ids = [f"sse-{uuid.uuid4().hex[:10]}" for _ in range(commitments)]
    for r in range(max(1, count // (commitments * 10))):
        for n, cid in enumerate(ids):
            events = [_assessment() for _ in range(10)]
            if r == 0:
                events[0] = _made(cid, n)
            await store.append(f"commitment-{cid}", events, "any")


def _made(cid: str, n: int) -> NewEvent:
    data = {"id": cid, "promisor": f"party-{n % 20}", "promisees": ["nato"], "text": "do it",
            "made_at": "2021-01-01T00:00:00.000000Z", "source": {"title": "bench"}}  # fmt: skip
    return NewEvent("commitment_made", data, datetime(2021, 1, 1, tzinfo=UTC))


def _assessment() -> NewEvent:
    now = datetime.now(UTC)
    data = {**DATA, "effective_at": format_time(now), "source": {"title": "bench"}}
    return NewEvent("assessment_recorded", data, now)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            if proc.poll() is not None:
                raise SystemExit("the service exited before it was ready")
            try:
                async with session.get(url + "/readyz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the service did not become ready")


async def stream(url: str, count: int) -> int:
    seen = 0
    timeout = aiohttp.ClientTimeout(total=None, sock_read=30)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(url + "/v1/events/live?after=0") as resp,
    ):
        async for line in resp.content:
            if line.startswith(b"id: "):
                seen += 1
                if seen >= count:
                    return seen
    return seen


async def sample(proc: psutil.Process, peak: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], proc.memory_info().rss)
        await asyncio.sleep(0.05)


async def main(args: argparse.Namespace) -> None:
    async with bench_database() as dsn:
        await fill(dsn, args.events, args.commitments)
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": dsn,
            "PLEDGER_PORT": str(port),
            "PLEDGER_ACCESS_LOG": "false",
            "PLEDGER_LOG_LEVEL": "WARNING",
            "PLEDGER_WORKERS": "false" if args.no_workers else "true",
        }
        command = [sys.executable, "-m", "service", "serve", "--no-migrate"]
        proc = subprocess.Popen(command, env=env)  # noqa: ASYNC220 - once, before any load
        try:
            url = f"http://127.0.0.1:{port}"
            await wait_ready(url, proc)
            server = psutil.Process(proc.pid)
            idle = server.memory_info().rss
            peak, stop = [idle], asyncio.Event()
            sampler = asyncio.create_task(sample(server, peak, stop))
            started = time.perf_counter()
            seen = sum(
                await asyncio.gather(*(stream(url, args.events) for _ in range(args.clients)))
            )
            elapsed = time.perf_counter() - started
            stop.set()
            await sampler
        finally:
            proc.terminate()
            proc.wait(10)
    mb = 1024 * 1024
    print(
        f"sse_memory_bench: {seen} events to {args.clients} client(s) in {elapsed:.1f}s "
        f"({seen / elapsed:.0f} ev/s)"
    )
    print(
        f"  server RSS idle {idle / mb:.0f} MB, peak while streaming {peak[0] / mb:.0f} MB "
        f"(growth {(peak[0] - idle) / mb:.0f} MB); goal: peak < 150 MB"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--commitments", type=int, default=0,
                        help="fill with this many commitment streams (events the projector"
                        " folds) instead of other streams")  # fmt: skip
    parser.add_argument("--no-workers", action="store_true", help="API only: no projector, no tree")
    asyncio.run(main(parser.parse_args()))
