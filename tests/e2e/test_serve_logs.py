"""`pledger serve` as an operator runs it: it says where it listens, and every line is JSON."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.conftest import drop_database, fresh_database


@pytest.fixture
async def dsn(server_dsn: str) -> AsyncIterator[str]:
    dsn = await fresh_database(server_dsn, "pledger_logs")
    yield dsn
    await drop_database(server_dsn, dsn)


async def _listening_url(stderr: asyncio.StreamReader, lines: list[str]) -> str:
    while True:
        line = (await stderr.readline()).decode()
        assert line, "the server exited before it listened:\n" + "".join(lines)
        lines.append(line)
        record = json.loads(line)
        if str(record["message"]).startswith("listening on http://"):
            return str(record["message"]).removeprefix("listening on ")


async def test_every_line_is_json_and_names_the_address(dsn: str) -> None:
    env = {**os.environ, "DATABASE_URL": dsn, "PLEDGER_PORT": "0", "PLEDGER_WORKERS": "false"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service", "serve", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None and proc.stdout is not None
    lines: list[str] = []
    try:
        url = await asyncio.wait_for(_listening_url(proc.stderr, lines), 60)
        async with aiohttp.ClientSession() as http:
            ok = await http.get(url + "/readyz", headers={"X-Request-Id": "ops-log-test"})
            assert ok.status == 200
            missing = await http.get(url + "/v1/commitments/no-such-commitment")
            assert missing.status == 404
    finally:
        proc.send_signal(signal.SIGINT)
        rest, out = await asyncio.wait_for(_drain(proc), 60)
    lines.extend(rest)
    records: list[dict[str, Any]] = [json.loads(line) for line in lines + out]
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    access = [r for r in records if r["logger"] == "pledger.access"]
    ready = next(r for r in access if r.get("path") == "/readyz")
    assert ready["request_id"] == "ops-log-test" and ready["status"] == 200
    assert any(r.get("status") == 404 and r["request_id"] for r in access)


async def _drain(proc: asyncio.subprocess.Process) -> tuple[list[str], list[str]]:
    out, err = await proc.communicate()
    return err.decode().splitlines(keepends=True), out.decode().splitlines(keepends=True)
