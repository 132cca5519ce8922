"""Webhook test parts: a real receiver (an aiohttp app on 127.0.0.1 that checks every signature
with the standardwebhooks library and can go down), a clock tests move by hand, subscriptions."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from standardwebhooks import Webhook

from service.webhooks import subscriptions
from service.webhooks.deliverer import Deliverer
from service.webhooks.subscriptions import WebhookBody


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> datetime:
        self.now += by
        return self.now

    def to(self, at: datetime) -> None:
        self.now = max(self.now, at)


class Receiver:
    """Verifies each post with the subscription's secret; keeps the verified payloads by
    webhook-id and counts every post (duplicates included). `status` answers posts; down()
    closes the socket, so the deliverer meets a refused connection."""

    def __init__(self, secret: str = "") -> None:
        self.secret = secret
        self.status = 204
        self.posts = 0
        self.verified: dict[str, dict[str, Any]] = {}
        self.rejected: list[str] = []  # posts whose signature or shape did not verify
        self.ids: list[str] = []  # webhook-id of every post, in arrival order
        self.arrived: dict[str, float] = {}  # webhook-id -> loop time of the first arrival
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        self.posts += 1
        self.ids.append(request.headers.get("webhook-id", ""))
        try:
            payload = Webhook(self.secret).verify(body, dict(request.headers))
            assert payload["data"]["id"] == request.headers["webhook-id"]
        except Exception as e:  # noqa: BLE001 - the test reads what went wrong
            self.rejected.append(f"{type(e).__name__}: {e}")
            return web.Response(status=400)
        if 200 <= self.status < 300:
            self.verified.setdefault(request.headers["webhook-id"], payload)
            self.arrived.setdefault(request.headers["webhook-id"], _loop_time())
        return web.Response(status=self.status)

    async def up(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def down(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def payloads(self) -> list[dict[str, Any]]:
        return [p["data"] for p in self.verified.values()]


@asynccontextmanager
async def receiving(secret: str = "", *, up: bool = True) -> AsyncIterator[Receiver]:
    receiver = Receiver(secret)
    if up:
        await receiver.up()
    try:
        yield receiver
    finally:
        await receiver.down()


async def subscribe(pool: Any, receiver: Receiver, **filters: Any) -> dict[str, Any]:
    """A subscription to the receiver; the receiver learns its secret."""
    body = WebhookBody.model_validate({"url": receiver.url, **filters})
    async with pool.acquire() as conn:
        created = await subscriptions.create(conn, body, None, datetime.now(UTC))
    receiver.secret = created["secret"]
    return created


@asynccontextmanager
async def deliverer_on(pool: Any, dsn: str, **options: Any) -> AsyncIterator[Deliverer]:
    """A Deliverer with its own leader-less connection and HTTP session (tests drive tick)."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    timeout = aiohttp.ClientTimeout(total=5)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http:
            deliverer = Deliverer(pool, conn, http, **options)
            try:
                yield deliverer
            finally:
                await deliverer.cancel()
    finally:
        await conn.close()


async def deliver_all(deliverer: Deliverer) -> int:
    """One tick, and its attempts finished."""
    started = await deliverer.tick()
    await deliverer.drain()
    return started


async def deliveries(pool: Any, subscription_id: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT d.*, m.payload FROM webhook_deliveries d JOIN webhook_messages m"
        " ON m.id = d.message_id WHERE d.subscription_id = $1 ORDER BY d.id",
        subscription_id,
    )
    return [{**dict(r), "data": json.loads(r["payload"])["data"]} for r in rows]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _loop_time() -> float:
    import asyncio

    return asyncio.get_running_loop().time()
