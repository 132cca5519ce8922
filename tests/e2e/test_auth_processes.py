"""Two real `pledger serve` processes on one database: the first makes the administrator and
its token file; a token revoked through one stops working in the other without a restart."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import stat
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import drop_database, fresh_database
from tests.support import wait_for

ROOT = Path(__file__).parents[2]


@pytest.fixture
async def dsn(server_dsn: str) -> AsyncIterator[str]:
    dsn = await fresh_database(server_dsn, "pledger_auth")
    yield dsn
    await drop_database(server_dsn, dsn)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _environment(dsn: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": dsn,
        "PLEDGER_DATA_DIR": str(data_dir),
        "PLEDGER_WORKERS": "false",
        "PLEDGER_ACCESS_LOG": "false",
    }


@contextlib.asynccontextmanager
async def serve(dsn: str, data_dir: Path, log: Path) -> AsyncIterator[str]:
    port = _free_port()
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "service", "serve", "--port", str(port),
            cwd=ROOT, env=_environment(dsn, data_dir), stdout=out, stderr=out,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:

            async def ready() -> bool:
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(url + "/readyz") as r:
                        return r.status == 200
                return False

            await wait_for(ready, timeout=60, interval=0.1)
        yield url
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 30)


async def cli(dsn: str, data_dir: Path, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service", *args,
        cwd=ROOT, env=_environment(dsn, data_dir),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()
    return out.decode().strip()


async def status_of(session: aiohttp.ClientSession, url: str, token: str) -> int:
    """401 when the token is not accepted, 403 when it is (a party may not register parties)."""
    body = {"id": "never-made", "name": "X", "kind": "state"}
    headers = {"Authorization": f"Bearer {token}"}
    async with session.post(url + "/v1/parties", json=body, headers=headers) as response:
        return response.status


async def test_revocation_reaches_every_process(dsn: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    async with serve(dsn, data_dir, tmp_path / "one.log") as one:
        token_file = data_dir / "admin-token"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        admin = token_file.read_text().strip()
        log = (tmp_path / "one.log").read_text()
        assert str(token_file) in log and admin not in log
        async with (
            serve(dsn, data_dir, tmp_path / "two.log") as two,
            aiohttp.ClientSession(headers={"Authorization": f"Bearer {admin}"}) as session,
        ):
            party = {"id": "acme", "name": "Acme", "kind": "state"}
            async with session.post(one + "/v1/parties", json=party) as response:
                assert response.status == 201
            await cli(dsn, data_dir, "principals", "add", "acme-office", "--party", "acme")
            token = await cli(dsn, data_dir, "tokens", "issue", "acme-office")

            async def accepted_by_both() -> bool:
                return [await status_of(session, u, token) for u in (one, two)] == [403, 403]

            await wait_for(accepted_by_both, timeout=10)
            async with session.delete(one + "/v1/principals/acme-office/tokens") as response:
                assert response.status == 200

            async def refused_by_two() -> bool:
                return await status_of(session, two, token) == 401

            await wait_for(refused_by_two, timeout=5)
            assert await status_of(session, one, token) == 401
