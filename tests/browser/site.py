"""A real Pledger server process on a database of its own, with the Doha example imported by the
operator's `pledger import` (the path a user takes), for the browser tests and the screenshots."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tests.conftest import drop_database, fresh_database
from tests.support import wait_for

ROOT = Path(__file__).parents[2]
SCENARIO = ROOT / "examples" / "nato-afghanistan-2021.json"


@dataclass(frozen=True)
class Site:
    url: str
    dsn: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def pledger(env: dict[str, str], *args: str) -> None:
    """One operator command to completion; its stderr in the failure when it fails."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, f"pledger {' '.join(args)}: {err.decode()}"


async def ready(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{url}/readyz") as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


@contextlib.asynccontextmanager
async def running_site(server_dsn: str, data_dir: Path) -> AsyncIterator[Site]:
    dsn = await fresh_database(server_dsn, "pledger_browser")
    port = free_port()
    key = data_dir / "signing.key"
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "PLEDGER_PORT": str(port),
        "PLEDGER_DATA_DIR": str(data_dir),
        "PLEDGER_SIGNING_KEY": str(key),
        "PLEDGER_CHECKPOINT_EVERY_SECONDS": "0.2",
        "PLEDGER_POLL_INTERVAL_SECONDS": "0.1",
        "PLEDGER_ACCESS_LOG": "false",
        "PLEDGER_LOG_LEVEL": "WARNING",
    }
    await pledger(env, "keys", "generate", "--name", "pledger.browser.test", "--out", str(key))
    await pledger(env, "import", "--quiet", str(SCENARIO))
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service", "serve", cwd=ROOT, env=env
    )
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_for(lambda: ready(url), timeout=60, interval=0.2)
        yield Site(url, dsn)
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), timeout=30)
        await drop_database(server_dsn, dsn)
