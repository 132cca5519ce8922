"""HTTP load for the benchmarks: serve an app on a real port, timed requests, paced load."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp import web


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def post_json(
    session: aiohttp.ClientSession, url: str, body: Any, headers: dict[str, str] | None = None
) -> Any:
    async with session.post(url, json=body, headers=headers) as response:
        payload = await response.json(content_type=None)
        if response.status != 201:
            raise RuntimeError(f"{url}: {response.status} {payload}")
        return payload


async def timed_get(session: aiohttp.ClientSession, url: str) -> float:
    started = time.perf_counter()
    async with session.get(url) as response:
        await response.read()
        assert response.status == 200, url
    return time.perf_counter() - started


async def paced(session: aiohttp.ClientSession, url: str, rate: float, count: int) -> list[float]:
    """Open loop: a GET every 1/rate seconds whatever the answers do; each one's latency."""
    loop = asyncio.get_running_loop()
    begin, tasks = loop.time(), []
    for n in range(count):
        await asyncio.sleep(max(0.0, begin + n / rate - loop.time()))
        tasks.append(asyncio.create_task(timed_get(session, url)))
    return list(await asyncio.gather(*tasks))


async def one_by_one(session: aiohttp.ClientSession, url: str, count: int) -> list[float]:
    """Closed loop, one client: each GET's latency, the next sent when the last is answered."""
    return [await timed_get(session, url) for _ in range(count)]
