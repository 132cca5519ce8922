"""Delay from a write that changes a commitment's status to its signed webhook arriving.

    .venv/bin/python bench/webhook_bench.py [--changes 400] [--rate 20]

Starts a real `pledger serve` process (workers on: projector and deliverer) on a bench database
(DATABASE_URL's server, or a throwaway embedded one) and a receiver in this process on
127.0.0.1 that verifies every signature with the standardwebhooks library. Each change is a
write over HTTP (a commitment made, then assessed: two status changes each), paced at --rate
per second; the delay runs from just before the write's request to the verified arrival, both
on this process's monotonic clock. Prints p50, p99 and max; the goal is p99 < 1 s. Loopback only.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from standardwebhooks import Webhook  # noqa: E402

from bench.common import bench_database, median, percentile  # noqa: E402

SOURCE = {"title": "bench"}


class Receiver:
    def __init__(self) -> None:
        self.secret = ""
        self.arrived: list[Write] = {}
        self.rejected = 0
        self.changed = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        try:
            data = Webhook(self.secret).verify(body, dict(request.headers))["data"]
        except Exception:  # noqa: BLE001 - counted and reported
            self.rejected += 1
            return web.Response(status=400)
        self.arrived.setdefault(data["commitment_id"], []).append(
            (data["position"], time.monotonic())
        )
        self.changed.set()
        return web.Response(status=204)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def serve(dsn: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": dsn, "PLEDGER_LOG_LEVEL": "WARNING",
           "PLEDGER_ACCESS_LOG": "false", "PLEDGER_POLL_INTERVAL_SECONDS": "1"}  # fmt: skip
    cmd = [sys.executable, "-m", "service", "serve", "--no-migrate", "--port", str(port)]
    process = subprocess.Popen(cmd, env=env)  # noqa: ASYNC220 - started once, before timing
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            try:
                async with http.get(f"http://127.0.0.1:{port}/readyz") as r:
                    if r.status == 200:
                        return process
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    process.terminate()
    raise RuntimeError("pledger serve did not become ready")


async def post(http: aiohttp.ClientSession, url: str, body: object) -> int:
    """The written event's position."""
    async with http.post(url, json=body) as r:
        if r.status != 201:
            raise RuntimeError(f"{url}: {r.status} {await r.text()}")
        position: int = (await r.json())["position"]
        return position


Write = tuple[str, int, float]  # commitment, position, when the request started


def arrival(receiver: Receiver, write: Write) -> float | None:
    """When the first notification showing this write arrived: one folded at or past it (a
    projector batch that folds a commitment's two writes announces them as one change)."""
    cid, position, _ = write
    return min((t for p, t in receiver.arrived.get(cid, []) if p >= position), default=None)


async def run(changes: int, rate: float) -> None:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    hook_port, api_port = free_port(), free_port()
    await web.TCPSite(runner, "127.0.0.1", hook_port).start()
    async with bench_database("pledger_hooks") as dsn:
        process = await serve(dsn, api_port)
        try:
            sent = await drive(api_port, hook_port, receiver, changes, rate)
        finally:
            process.terminate()
            process.wait(timeout=30)
    await runner.cleanup()
    report(sent, receiver)


def commitment(cid: str, promisor: str, promisee: str) -> dict[str, object]:
    return {"id": cid, "promisor": promisor, "promisees": [promisee], "text": "t",
            "made_at": "2020-01-01", "source": SOURCE}  # fmt: skip


def assessment(assessor: str) -> dict[str, object]:
    return {"type": "assessment_recorded", "assessor": assessor, "verdict": "fulfilled",
            "strength": "reported", "occurred_at": "2021-01-01", "source": SOURCE}  # fmt: skip


async def drive(
    api_port: int, hook_port: int, receiver: Receiver, changes: int, rate: float
) -> list[Write]:
    api = f"http://127.0.0.1:{api_port}"
    sent: list[Write] = []
    async with aiohttp.ClientSession() as http:
        hook = {"url": f"http://127.0.0.1:{hook_port}/hook"}
        async with http.post(f"{api}/v1/webhooks", json=hook) as r:
            receiver.secret = (await r.json())["secret"]
        a, b = f"a-{uuid.uuid4().hex[:8]}", f"b-{uuid.uuid4().hex[:8]}"
        for party in (a, b):
            await post(http, f"{api}/v1/parties", {"id": party, "name": party, "kind": "state"})
        ids = [f"c-{uuid.uuid4().hex[:10]}" for _ in range(changes // 2)]
        for i in range(changes):
            cid = ids[i // 2]
            started = time.monotonic()
            if i % 2 == 0:
                position = await post(http, f"{api}/v1/commitments", commitment(cid, a, b))
            else:
                position = await post(http, f"{api}/v1/commitments/{cid}/events", assessment(b))
            sent.append((cid, position, started))
            await asyncio.sleep(max(0.0, started + 1 / rate - time.monotonic()))
        deadline = time.monotonic() + 30
        while any(arrival(receiver, w) is None for w in sent) and time.monotonic() < deadline:
            receiver.changed.clear()
            await asyncio.wait([asyncio.ensure_future(receiver.changed.wait())], timeout=1)
    return sent


def report(sent: list[Write], receiver: Receiver) -> None:
    arrived = [(arrival(receiver, w), w[2]) for w in sent]
    delays = [(t1 - t0) * 1000 for t1, t0 in arrived if t1 is not None]
    missing = len(sent) - len(delays)
    print(f"status changes written: {len(sent)}, arrived verified: {len(delays)}, "
          f"missing after 30 s: {missing}, rejected signatures: {receiver.rejected}")  # fmt: skip
    if delays:
        p50, p99 = median(delays), percentile(delays, 0.99)
        print(f"write -> signed notification: p50 {p50:.0f} ms, p99 {p99:.0f} ms, "
              f"max {max(delays):.0f} ms (goal p99 < 1000 ms)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=400, help="status changes to write")
    parser.add_argument("--rate", type=float, default=20.0, help="writes per second")
    args = parser.parse_args()
    asyncio.run(run(args.changes, args.rate))


if __name__ == "__main__":
    main()
