"""`pledger import` and `pledger replay` as a user runs them: a subprocess on its own database."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import pty
import struct
import sys
import termios
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.conftest import drop_database, fresh_database

SCENARIO = Path(__file__).parents[2] / "examples" / "nato-afghanistan-2021.json"
ROOT = Path(__file__).parents[2]


@pytest.fixture
async def dsn(server_dsn: str) -> AsyncIterator[str]:
    dsn = await fresh_database(server_dsn, "pledger_cli")
    yield dsn
    await drop_database(server_dsn, dsn)


async def pledger(dsn: str, *args: str) -> tuple[int, str, str]:
    environment = {**os.environ, "DATABASE_URL": dsn, "PLEDGER_LOG_LEVEL": "WARNING"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service", *args,
        cwd=ROOT, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def event_count(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM events"))
    finally:
        await conn.close()


async def test_importing_the_same_file_twice_adds_nothing(dsn: str) -> None:
    code, out, err = await pledger(dsn, "import", str(SCENARIO))
    assert code == 0, err
    assert "33 item(s), 33 written, 0 already present, 0 changed" in out
    assert err == ""  # stderr is no terminal here: no progress bar in a log file
    assert await event_count(dsn) == 33
    code, out, _ = await pledger(dsn, "import", "--quiet", str(SCENARIO))
    assert code == 0 and "0 written, 33 already present" in out
    assert await event_count(dsn) == 33


async def test_the_progress_bar_is_drawn_on_a_terminal(dsn: str) -> None:
    controller, terminal = pty.openpty()
    # 80 columns: a new pty has 0, and tqdm fits its bar into that.
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    environment = {**os.environ, "DATABASE_URL": dsn, "PLEDGER_LOG_LEVEL": "WARNING"}
    reader = asyncio.create_task(asyncio.to_thread(_read_all, controller))
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "service", "import", str(SCENARIO),
            cwd=ROOT, env=environment, stdout=asyncio.subprocess.PIPE, stderr=terminal,
        )  # fmt: skip
        os.close(terminal)  # the child holds the terminal now; its exit ends the reader
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
        drawn = await asyncio.wait_for(reader, timeout=10)
    finally:
        os.close(controller)
    assert proc.returncode == 0 and b"33 item(s)" in out
    assert b"33/33" in drawn


def _read_all(fd: int) -> bytes:
    drawn = b""
    with contextlib.suppress(OSError):  # EIO once no process holds the terminal
        while chunk := os.read(fd, 65536):
            drawn += chunk
    return drawn


def _write(tmp_path: Path, scenario: dict[str, Any]) -> str:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    return str(path)


async def test_a_malformed_item_is_named_and_nothing_is_written(dsn: str, tmp_path: Path) -> None:
    scenario = json.loads(SCENARIO.read_text(encoding="utf-8"))
    scenario["events"][2]["strength"] = "rumoured"
    code, out, err = await pledger(dsn, "import", "--quiet", _write(tmp_path, scenario))
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pledger import: events[2] (taliban-stop")
    assert "strength" in lines[0]
    assert await event_count(dsn) == 0


async def test_an_item_the_ledger_refuses_stops_the_import_there(dsn: str, tmp_path: Path) -> None:
    scenario = json.loads(SCENARIO.read_text(encoding="utf-8"))
    scenario["commitments"][1]["promisor"] = "nobody"
    path = _write(tmp_path, scenario)
    code, _, err = await pledger(dsn, "import", "--quiet", path)
    assert code == 1
    assert err.strip() == (
        "pledger import: commitments[1] (taliban-stop-attacks): validation failed:"
        " promisor: party 'nobody' does not exist"
    )
    authority = len(scenario["grants"]) + len(scenario["principals"])
    valid_before = len(scenario["parties"]) + authority + len(scenario["agreements"]) + 1
    assert await event_count(dsn) == valid_before
    scenario["commitments"][1]["promisor"] = "taliban"  # fixed: the import goes on from there
    code, out, _ = await pledger(dsn, "import", "--quiet", _write(tmp_path, scenario))
    assert code == 0 and f"{33 - valid_before} written, {valid_before} already present" in out


async def test_replay_prints_the_timeline_with_the_status_after_each_event(dsn: str) -> None:
    assert (await pledger(dsn, "import", "--quiet", str(SCENARIO)))[0] == 0
    code, out, err = await pledger(dsn, "replay", "allied-withdrawal")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].startswith("allied-withdrawal as of ")
    events = [line for line in lines[1:] if line.startswith("#")]
    assert len(events) == 8
    assert "commitment_made by united-states to taliban" in events[0]
    assert "[written by united-states]" in events[0]
    assert events[0].endswith("-> pending_condition, not_due, due 2021-05-01")
    # The United States' own deadline change is a request: 1 May stays the deadline (R2).
    assert "deadline_changed" in events[2] and "[written by united-states]" in events[2]
    assert events[2].endswith("due 2021-05-01")
    assert events[-1].endswith("-> fulfilled, met_late, disputed, due 2021-05-01")
    # Each event's note and source follow it, indented.
    assert lines[2].strip().startswith("source: Seed article")
    assert any(line.strip().startswith("note: The Taliban say") for line in lines)
    code, out, _ = await pledger(dsn, "replay", "allied-withdrawal", "--as-of", "2021-03-01")
    assert code == 0 and len([ln for ln in out.splitlines() if ln.startswith("#")]) == 2


async def test_replay_shows_a_deadline_passing_and_refuses_an_empty_known_at(
    dsn: str, tmp_path: Path
) -> None:
    scenario = json.loads(SCENARIO.read_text(encoding="utf-8"))
    scenario["events"] = [e for e in scenario["events"] if e["type"] != "deadline_changed"]
    assert (await pledger(dsn, "import", "--quiet", _write(tmp_path, scenario)))[0] == 0
    code, out, err = await pledger(dsn, "replay", "allied-withdrawal", "--as-of", "2021-06-01")
    assert code == 0, err
    clock = [line for line in out.splitlines() if line.startswith("(clock)")]
    assert len(clock) == 1 and "2021-05-01T23:59Z" in clock[0]
    assert "deadline_passed" in clock[0] and "overdue" in clock[0]
    code, out, err = await pledger(dsn, "replay", "allied-withdrawal", "--known-at", "2000-01-01")
    assert code == 1 and out == ""
    assert "nothing of commitment 'allied-withdrawal' was known at 2000-01-01" in err


async def test_replay_of_an_unknown_commitment_fails_in_one_line(dsn: str) -> None:
    code, out, err = await pledger(dsn, "replay", "no-such-thing")
    assert code == 1 and out == ""
    assert err.strip() == "pledger replay: commitment 'no-such-thing' does not exist"
    code, _, err = await pledger(dsn, "replay", "x", "--as-of", "tomorrow")
    assert code == 2
    assert err.strip() == (
        "pledger replay: 'tomorrow' is not a date (YYYY-MM-DD) or an ISO 8601 timestamp"
    )


async def test_import_records_each_item_as_its_party_and_corrects_a_changed_item(
    dsn: str, tmp_path: Path
) -> None:
    scenario = json.loads(SCENARIO.read_text(encoding="utf-8"))
    code, _, err = await pledger(dsn, "import", "--quiet", "--operator", "ops", str(SCENARIO))
    assert code == 0, err
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT type, data, metadata FROM events WHERE type IN"
            " ('assessment_recorded', 'commitment_made') ORDER BY position"
        )
        for row in rows:
            data, meta = json.loads(row["data"]), json.loads(row["metadata"])
            assert meta["imported_by"] == "ops" and meta["via"] == "import"
            assert meta["recorded_by"] == data.get("assessor", data.get("promisor"))
        first = scenario["events"][0]
        scenario["events"][0] = first | {"verdict": "stalled"}
        code, out, err = await pledger(dsn, "import", "--quiet", _write(tmp_path, scenario))
        assert code == 0, err
        assert "1 written, 32 already present, 1 changed" in out
        assert f"changed events[0] ({first['commitment']}): corrected event" in out
        corrections = await conn.fetch(
            "SELECT data FROM events WHERE type = 'correction_recorded' AND stream_id = $1",
            f"commitment-{first['commitment']}",
        )
        assert len(corrections) == 1
    finally:
        await conn.close()
    code, out, _ = await pledger(dsn, "import", "--quiet", _write(tmp_path, scenario))
    assert code == 0 and "0 written, 33 already present, 0 changed" in out
    code, out, _ = await pledger(dsn, "verify", "--quiet")
    assert code == 0 and "0 finding(s)" in out, out
