"""Abuse bench: what idle streams, stalled readers and slow bodies cost a real `pledger serve`.

    .venv/bin/python bench/limits_bench.py [--idle 1000] [--stalled 300] [--slow 50]

One run, on loopback only, bounded in time (about two minutes): starts the service as a
subprocess on a bench database (DATABASE_URL's server, or a throwaway embedded one), fills the
log, then prints
  1. write p50 with no live streams and with `--idle` idle SSE streams open (goal: within 2x);
  2. the server's RSS growth with `--stalled` readers that ask for the whole log from position 0
     and never read their socket (goal: < 100 MB);
  3. how many of `--slow` POSTs that send one body byte a second the body timeout closed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp  # noqa: E402
import psutil  # noqa: E402

from bench.common import bench_database, median  # noqa: E402
from bench.sse_memory_bench import fill, free_port, wait_ready  # noqa: E402

MB = 1024 * 1024


async def write_p50(url: str, count: int, concurrency: int = 4) -> float:
    """Median latency (ms) of `count` party registrations, `concurrency` at a time."""
    latencies: list[float] = []
    async with aiohttp.ClientSession() as session:

        async def one() -> None:
            party = f"b-{uuid.uuid4().hex[:12]}"
            started = time.perf_counter()
            body = {"id": party, "name": party, "kind": "state"}
            async with session.post(url + "/v1/parties", json=body) as resp:
                assert resp.status == 201, await resp.text()
            latencies.append((time.perf_counter() - started) * 1000)

        for _ in range(count // concurrency):
            await asyncio.gather(*(one() for _ in range(concurrency)))
    return median(latencies)


async def open_raw(port: int, request: bytes, rcvbuf: int | None = None) -> socket.socket:
    sock = socket.socket()
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, ("127.0.0.1", port))
    await loop.sock_sendall(sock, request)
    return sock


async def drain(sock: socket.socket) -> None:
    """An idle stream's client: takes what arrives (heartbeats) until the socket closes."""
    loop = asyncio.get_running_loop()
    with contextlib.suppress(OSError):
        while await loop.sock_recv(sock, 4096):
            pass


def live_request(after: int, query: str = "") -> bytes:
    target = f"/v1/events/live?after={after}{query}"
    return f"GET {target} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()


async def open_streams(url: str, port: int, count: int, head: int, query: str) -> float:
    """Write p50 with `count` live streams open from the head; `query` filters their events."""
    socks = [await open_raw(port, live_request(head, query)) for _ in range(count)]
    readers = [asyncio.create_task(drain(s)) for s in socks]
    try:
        await asyncio.sleep(2)  # every stream admitted and waiting on the shared tail
        return await write_p50(url, 200)
    finally:
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        for sock in socks:
            sock.close()


async def stalled_readers(port: int, server: psutil.Process, count: int) -> tuple[float, float]:
    """RSS before, and peak RSS over 15 s, with `count` readers that never read."""
    before = server.memory_info().rss
    socks = [await open_raw(port, live_request(0), rcvbuf=4096) for _ in range(count)]
    peak = before
    try:
        for _ in range(150):
            peak = max(peak, server.memory_info().rss)
            await asyncio.sleep(0.1)
    finally:
        for sock in socks:
            sock.close()
    return before / MB, peak / MB


async def slow_body(port: int, seconds: int) -> bool:
    """A POST announcing 1 MB that sends one byte a second; True if the server ended it."""
    head = (
        b"POST /v1/parties HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000000\r\n\r\n"
    )
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head)
    try:
        for _ in range(seconds):
            writer.write(b" ")
            await writer.drain()
            with contextlib.suppress(TimeoutError):
                answer = await asyncio.wait_for(reader.read(64), 1.0)
                return answer.startswith(b"HTTP/1.1 408") or answer == b""
        return False
    except ConnectionError:
        return True
    finally:
        writer.close()


async def run(args: argparse.Namespace, dsn: str) -> None:
    await fill(dsn, args.events, 0)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "PLEDGER_PORT": str(port),
        "PLEDGER_ACCESS_LOG": "false",
        "PLEDGER_LOG_LEVEL": "WARNING",
        "PLEDGER_SSE_MAX_STREAMS": str(2 * (args.idle + args.stalled)),
        "PLEDGER_SSE_MAX_STREAMS_PER_CLIENT": str(2 * (args.idle + args.stalled)),
        "PLEDGER_BODY_TIMEOUT_SECONDS": "5",
    }
    command = [sys.executable, "-m", "service", "serve", "--no-migrate"]
    proc = subprocess.Popen(command, env=env)  # noqa: ASYNC220 - once, before any load
    try:
        url = f"http://127.0.0.1:{port}"
        await wait_ready(url, proc)
        server = psutil.Process(proc.pid)
        quiet = await write_p50(url, 200)
        # Idle: open, with nothing to deliver (their type is never written); following: every
        # write is sent to every stream, a thousand socket writes per append.
        idle = await open_streams(url, port, args.idle, args.events, "&type=bench_never")
        following = await open_streams(url, port, args.idle, args.events, "")
        n = args.idle
        print(f"write p50: {quiet:.1f} ms with no streams; {idle:.1f} ms ({idle / quiet:.2f}x)"
              f" with {n} idle SSE streams (goal: within 2x); {following:.1f} ms"
              f" ({following / quiet:.2f}x) with {n} streams receiving every write")  # fmt: skip
        before, peak = await stalled_readers(port, server, args.stalled)
        print(f"RSS: {before:.0f} MB before, {peak:.0f} MB peak with {args.stalled} stalled"
              f" readers from position 0: +{peak - before:.0f} MB (goal: < 100 MB)")  # fmt: skip
        closed = await asyncio.gather(*(slow_body(port, 15) for _ in range(args.slow)))
        print(f"slow bodies: {sum(closed)} of {args.slow} closed by the 5 s body timeout"
              " within 15 s")  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(10)


async def main(args: argparse.Namespace) -> None:
    async with bench_database("pledger_limits") as dsn:
        await run(args, dsn)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000, help="log size to fill first")
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--stalled", type=int, default=300)
    parser.add_argument("--slow", type=int, default=50)
    asyncio.run(main(parser.parse_args()))
