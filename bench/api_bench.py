"""The commitments API over real HTTP, against a bare aiohttp handler doing one raw INSERT.

    .venv/bin/python bench/api_bench.py [--writes 4000] [--rounds 3] [--rate 200] [--events 1000]

Both servers run in this process on real ports (web.AppRunner + TCPSite); the Pledger app is the
composition root's, with its own pool. Writes are made by a monitor's principal with its bearer
token; a second Pledger app, identical but for a middleware that sets that writer without any
token ("open"), measures in the same run what authentication costs (ratio auth/open).
The projector runs as `pledger project` in a process of its own (--projector inside runs it in
the app as `pledger serve` does; none, not at all); the ledger's tree builder is left out
(--with-ledger adds it); the per-client rate limit is lifted (one client makes every request).
Uses DATABASE_URL when set, else a throwaway embedded PostgreSQL. Prints medians over rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp  # noqa: E402
import asyncpg  # noqa: E402
from aiohttp import web  # noqa: E402

import service.app  # noqa: E402
from bench.common import bench_database, median, percentile  # noqa: E402
from bench.http_load import one_by_one, paced, post_json, serve, timed_get  # noqa: E402
from service.api.keys import WRITER  # noqa: E402
from service.app import create_app  # noqa: E402
from service.auth.principals import Principal, Snapshot, new_token  # noqa: E402
from service.auth.registry import PostgresRegistry  # noqa: E402
from service.auth.rights import Writer  # noqa: E402
from service.config import Settings  # noqa: E402
from service.ledger.background import ledger_background  # noqa: E402
from service.projections.background import projector_background  # noqa: E402

CLIENTS = 8
RAW_TABLE = """
CREATE TABLE raw_assessments (
    position bigserial PRIMARY KEY, commitment text NOT NULL, body jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now())
"""
SOURCE = {"title": "Bench report", "url": "https://example.org/r"}


def assessment(n: int) -> dict[str, Any]:
    day = 1 + n % 28
    return {
        "type": "assessment_recorded", "assessor": "monitor", "verdict": "in_progress",
        "strength": "reported", "occurred_at": f"2021-03-{day:02d}", "level": n % 4,
        "source": SOURCE,
    }  # fmt: skip


@web.middleware
async def trusted(request: web.Request, handler: Any) -> web.StreamResponse:
    """The baseline without authentication: the same writer, set without a token."""
    request[WRITER] = Writer(Principal("bench-monitor", "monitor"), "reported")
    return await handler(request)


def open_app(settings: Settings) -> web.Application:
    """The Pledger app with `trusted` in place of the bearer-token middleware."""
    real = service.app.auth_middleware
    service.app.auth_middleware = trusted  # type: ignore[assignment]
    try:
        return create_app(settings)
    finally:
        service.app.auth_middleware = real


async def monitor_headers(session: aiohttp.ClientSession, base: str) -> dict[str, str]:
    """A principal of `monitor` with a `reported` grant, made over the API by the admin."""
    name = f"bench-monitor-{uuid.uuid4().hex[:8]}"
    async with session.post(f"{base}/v1/principals", json={"name": name, "party": "monitor"}):
        pass
    grant = {"max_strength": "reported"}
    async with session.put(f"{base}/v1/parties/monitor/grant", json=grant) as response:
        assert response.status == 200, await response.text()
    token = await post_json(session, f"{base}/v1/principals/{name}/tokens", {})
    return {"Authorization": f"Bearer {token['token']}"}


def raw_app(pool: asyncpg.Pool) -> web.Application:
    """The baseline: parse the JSON body, one INSERT, answer 201 with the position."""

    async def handler(request: web.Request) -> web.Response:
        body = await request.json()
        position = await pool.fetchval(
            "INSERT INTO raw_assessments (commitment, body) VALUES ($1, $2) RETURNING position",
            request.match_info["id"],
            json.dumps(body),
        )
        return web.json_response({"position": position}, status=201)

    app = web.Application()
    app.router.add_post("/v1/commitments/{id}/events", handler)
    return app


async def setup_commitments(session: aiohttp.ClientSession, base: str, count: int) -> list[str]:
    """Parties and `count` commitments to post evidence to."""
    for pid in ("promisor", "promisee", "monitor"):
        body = {"id": pid, "name": pid, "kind": "state"}
        async with session.post(f"{base}/v1/parties", json=body) as response:
            assert response.status in (201, 409)
    ids = [f"c-{uuid.uuid4().hex[:10]}" for _ in range(count)]
    for cid in ids:
        body = {"id": cid, "promisor": "promisor", "promisees": ["promisee"], "text": "t",
                "made_at": "2021-01-01", "due_by": "2021-12-31", "source": SOURCE}  # fmt: skip
        await post_json(session, f"{base}/v1/commitments", body)
    return ids


async def writes(
    session: aiohttp.ClientSession,
    base: str,
    ids: list[str],
    total: int,
    headers: dict[str, str] | None = None,
) -> float:
    """Requests per second: one client per commitment, each posting total/len(ids) in turn."""

    async def client(cid: str) -> None:
        for n in range(total // len(ids)):
            url = f"{base}/v1/commitments/{cid}/events"
            await post_json(session, url, assessment(n), headers)

    started = time.perf_counter()
    await asyncio.gather(*(client(cid) for cid in ids))
    return total / (time.perf_counter() - started)


async def stream_of(session: aiohttp.ClientSession, base: str, events: int) -> tuple[str, int]:
    """A commitment with `events` events (its commitment_made and assessments); its id and the
    position of its last event."""
    [cid] = await setup_commitments(session, base, 1)
    url = f"{base}/v1/commitments/{cid}/events"
    last = 0
    for start in range(0, events - 1, 50):
        batch = range(start, min(start + 50, events - 1))
        written = await asyncio.gather(*(post_json(session, url, assessment(n)) for n in batch))
        last = max([last, *(w["position"] for w in written)])
    return cid, last


async def run(args: argparse.Namespace, dsn: str) -> dict[str, list[float]]:
    settings = Settings(
        database_url=dsn,
        access_log=False,
        poll_interval_seconds=0.05,
        rate_limit_per_second=1e6,
        rate_limit_burst=1_000_000,
    )
    background = [projector_background(settings)] if args.projector == "inside" else []
    if args.with_ledger:
        background.append(ledger_background(settings))
    raw_pool = await asyncpg.create_pool(dsn, min_size=settings.pool_max_size,
                                         max_size=settings.pool_max_size)  # fmt: skip
    await raw_pool.execute(RAW_TABLE)
    # The administrator that sets the bench up, made as `pledger principals add --admin` does.
    registry = PostgresRegistry(raw_pool)
    await registry.add(Principal("bench-admin", None, admin=True))
    admin = {"Authorization": f"Bearer {(await registry.issue('bench-admin')).secret}"}
    results: dict[str, list[float]] = {}
    app = create_app(settings, background=tuple(background))
    connector = aiohttp.TCPConnector(limit=64)
    async with (
        serve(app) as base,
        serve(open_app(settings)) as open_base,
        serve(raw_app(raw_pool)) as raw,
        aiohttp.ClientSession(connector=connector, headers=admin) as session,
    ):
        await write_rounds(args, session, (base, open_base), raw, results)
        if not args.writes_only:
            await reads(args, session, base, results)
    await raw_pool.close()
    return results


async def write_rounds(
    args: argparse.Namespace,
    session: aiohttp.ClientSession,
    bases: tuple[str, str],
    raw: str,
    results: dict[str, list[float]],
) -> None:
    base, open_base = bases
    ids = await setup_commitments(session, base, CLIENTS)
    monitor = await monitor_headers(session, base)
    servers = [(raw, "raw", None), (base, "api", monitor), (open_base, "open", None)]
    for n in range(args.rounds):
        # Rotate which goes first, so none always meets a warmer or busier server.
        order = servers[n % 3 :] + servers[: n % 3]
        rates = {
            name: await writes(session, url, ids, args.writes, headers)
            for url, name, headers in order
        }
        rates["ratio"] = rates["api"] / rates["raw"]
        rates["auth_ratio"] = rates["api"] / rates["open"]
        for key, value in rates.items():
            results.setdefault(key, []).append(value)


async def reads(
    args: argparse.Namespace,
    session: aiohttp.ClientSession,
    base: str,
    results: dict[str, list[float]],
) -> None:
    cid, _ = await stream_of(session, base, 5)
    cid_long, last = await stream_of(session, base, args.events)
    await timed_get(session, f"{base}/v1/commitments?limit=1&min_position={last}&wait=30")
    urls = {
        "status_now": f"{base}/v1/commitments/{cid}/status",
        "list_read_tables": f"{base}/v1/commitments?promisor=promisor&limit=1",
    }
    as_of = f"{base}/v1/commitments/{cid_long}/status?as_of=2021-03-15"
    for _ in range(args.rounds):
        for name, url in urls.items():
            record(results, name, await paced(session, url, args.rate, args.reads))
        record(results, "status_as_of_1000", await one_by_one(session, as_of, args.reads // 2))


def record(results: dict[str, list[float]], name: str, latencies: list[float]) -> None:
    results.setdefault(f"{name}_p50", []).append(percentile(latencies, 0.5))
    results.setdefault(f"{name}_p99", []).append(percentile(latencies, 0.99))


def token_check_seconds(tokens: int = 10_000, checks: int = 100_000) -> float:
    """What authentication adds to a request, alone: SHA-256 of the token and one dict lookup
    in a snapshot of `tokens` live tokens (no database round trip)."""
    issued = [new_token(f"p{i}") for i in range(tokens)]
    snapshot = Snapshot(tokens={t.token_hash: Principal(t.principal, "m") for t in issued})
    secret = issued[tokens // 2].secret
    started = time.perf_counter()
    for _ in range(checks):
        snapshot.lookup(secret)
    return (time.perf_counter() - started) / checks


def report(results: dict[str, list[float]], args: argparse.Namespace) -> None:
    m = {k: median(v) for k, v in results.items()}
    check = token_check_seconds()
    print(f"api_bench: medians of {args.rounds} rounds; projector: {args.projector}")
    print(
        f"  assessments over HTTP, {CLIENTS} clients on distinct commitments, {args.writes} each"
        f" round: raw INSERT handler {m['raw']:7.0f} req/s  pledger {m['api']:7.0f} req/s"
        f"  ratio {m['ratio']:.2f} (goal >= 0.8)"
    )
    print(
        f"  the same with authentication (a monitor's bearer token) {m['api']:7.0f} req/s,"
        f" without (the writer set by a middleware) {m['open']:7.0f} req/s:"
        f" ratio {m['auth_ratio']:.3f} (goal >= 0.95; the median of the per-round ratios)"
    )
    print(
        f"  one token check alone (10,000 live tokens): {check * 1e6:.2f} us, that is"
        f" {check * m['api'] / CLIENTS:.4%} of a write's time at the measured rate"
    )
    for name, goal in (("status_now", 10), ("list_read_tables", 10), ("status_as_of_1000", 50)):
        if f"{name}_p50" not in m:
            continue
        one = name == "status_as_of_1000"
        load = f"one client x {args.reads // 2}" if one else f"{args.rate:.0f} req/s x {args.reads}"
        print(
            f"  GET {name:<18} at {load}: p50"
            f" {m[f'{name}_p50'] * 1e3:6.2f} ms  p99 {m[f'{name}_p99'] * 1e3:6.2f} ms"
            f"  (goal p99 < {goal} ms)"
        )


@asynccontextmanager
async def projector_process(args: argparse.Namespace, dsn: str) -> AsyncIterator[None]:
    """`pledger project` in its own process, as an operator may run it beside the API."""
    if args.projector != "process":
        yield
        return
    env = {**os.environ, "DATABASE_URL": dsn, "PLEDGER_POLL_INTERVAL_SECONDS": "0.05",
           "PLEDGER_LOG_LEVEL": "WARNING"}  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service", "project", env=env, cwd=Path(__file__).parents[1]
    )
    try:
        yield
    finally:
        proc.terminate()
        await proc.wait()


async def main(args: argparse.Namespace) -> None:
    if args.projector == "none":
        args.writes_only = True
    async with bench_database("pledger_api_bench") as dsn, projector_process(args, dsn):
        results = await run(args, dsn)
    report(results, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--writes", type=int, default=4000, help="write requests per round")
    parser.add_argument("--reads", type=int, default=1000, help="GETs per read measurement")
    parser.add_argument("--rate", type=float, default=200.0, help="GETs per second")
    parser.add_argument("--events", type=int, default=1000, help="events of the long commitment")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--with-ledger", action="store_true", help="run the tree builder too")
    parser.add_argument(
        "--projector",
        choices=("inside", "process", "none"),
        default="process",
        help="run the projector in the app (as `pledger serve`), as `pledger project` beside it"
        " (default), or not at all (then only writes are measured)",
    )
    parser.add_argument("--writes-only", action="store_true", help="skip the read measurements")
    asyncio.run(main(parser.parse_args()))
