"""A real `pledger relay` process killed with SIGKILL under write load, then started again:
JetStream holds every event exactly once, in log order (read as `nats stream view` reads it)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator

import pytest

from tests.nats_support import Destination, stream_view
from tests.relay_support import SOURCE, RelayEnv, relay_env


@pytest.fixture
async def env(server_dsn: str, destination: Destination) -> AsyncIterator[RelayEnv]:
    async with relay_env(server_dsn, destination) as env:
        yield env


@contextlib.asynccontextmanager
async def relay_process(env: RelayEnv) -> AsyncIterator[asyncio.subprocess.Process]:
    environment = {
        **os.environ,
        **env.dest.environment(),
        "DATABASE_URL": env.dsn,
        "PLEDGER_LEDGER_ORIGIN": SOURCE,
        "PLEDGER_POLL_INTERVAL_SECONDS": "0.05",
        "PLEDGER_RELAY_BATCH_SIZE": "25",  # many batches, so the kill lands between two
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "service",
        "relay",
        env=environment,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


async def _write_load(env: RelayEnv, stop: asyncio.Event, writers: int = 4) -> None:
    async def writer() -> None:
        while not stop.is_set():
            await env.append(1, 3)

    await asyncio.gather(*(writer() for _ in range(writers)))


async def test_a_relay_killed_mid_stream_leaves_every_event_once_in_order(env: RelayEnv) -> None:
    stop = asyncio.Event()
    load = asyncio.create_task(_write_load(env, stop))
    try:
        async with relay_process(env) as first:
            await env.wait_relayed(300, timeout=60)
            first.send_signal(signal.SIGKILL)
            await first.wait()
        killed_at = await env.checkpoint()
        head = await env.store.head_position()
        async with relay_process(env):
            await env.wait_relayed(head + 300, timeout=60)
            stop.set()
            await load
            await env.wait_relayed(await env.store.head_position(), timeout=60)
    finally:
        stop.set()
        await asyncio.gather(load, return_exceptions=True)
    ids = [m.headers["ce-id"] for m in await stream_view(env.dest.url, env.dest.stream)]
    log = await env.log_ids()
    assert len(ids) == len(set(ids))  # exactly once
    assert ids == log  # every event, in log order
    assert 300 <= killed_at < len(log)


async def test_relay_without_a_nats_url_says_so_in_one_line() -> None:
    environment = {k: v for k, v in os.environ.items() if k != "PLEDGER_NATS_URL"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service", "relay", env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode != 0
    assert err.decode().splitlines() == [
        "pledger relay: PLEDGER_NATS_URL is not set: nowhere to relay to"
    ]
