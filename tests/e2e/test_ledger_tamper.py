"""Tamper drills: a superuser rewrites or rolls back the log; verify and audit must catch it."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from service.ledger.audit import AuditFailure, audit
from tests.ledger_support import LedgerEnv, ledger_env

GUARD = "events_refuse_update_delete"


@pytest.fixture
async def env(server_dsn: str, tmp_path: Path) -> AsyncIterator[LedgerEnv]:
    async with ledger_env(server_dsn, tmp_path) as env:
        yield env


async def pledger(env: LedgerEnv, *args: str) -> tuple[int, str]:
    """Run the real CLI against the drill's database; exit status and combined output."""
    environment = {**os.environ, "DATABASE_URL": env.dsn, "PLEDGER_SIGNING_KEY": str(env.key_path)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "service",
        *args,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


async def _serve(aiohttp_server: Any, env: LedgerEnv) -> str:
    server = await aiohttp_server(env.app())
    return str(server.make_url("")).rstrip("/")


async def _rewrite(env: LedgerEnv, sql: str, *args: Any) -> None:
    """What an attacker with superuser rights does: switch the guard off, change, switch it on."""
    async with env.superuser() as conn, conn.transaction():
        await conn.execute(f"ALTER TABLE events DISABLE TRIGGER {GUARD}")
        await conn.execute(sql, *args)
        await conn.execute(f"ALTER TABLE events ENABLE ALWAYS TRIGGER {GUARD}")


async def _event(env: LedgerEnv, position: int) -> Any:
    return await env.pool.fetchrow(
        "SELECT stream_id, version, canonical FROM events WHERE position = $1", position
    )


async def test_a_clean_ledger_verifies_and_audits(
    env: LedgerEnv, aiohttp_server: Any, tmp_path: Path
) -> None:
    url, state = await _serve(aiohttp_server, env), tmp_path / "trusted.json"
    await env.append(12)
    await env.wait_for_checkpoint(12)
    status, out = await pledger(env, "verify", "--quiet")
    assert status == 0, out
    assert "OK: 12 events" in out and "0 finding(s)" in out
    audit_args = ("audit", "--url", url, "--key", str(env.key.verifier), "--state", str(state))
    status, out = await pledger(env, *audit_args)
    assert status == 0, out
    assert "OK: checkpoint 12" in out and "12 inclusion proof(s)" in out
    assert '"tree_size": 12' in state.read_text()


async def test_keys_generate_writes_a_private_file_and_never_overwrites(
    env: LedgerEnv, tmp_path: Path
) -> None:
    path = tmp_path / "keys" / "new.key"
    status, out = await pledger(
        env, "keys", "generate", "--name", "ledger.example", "--out", str(path)
    )
    assert status == 0, out
    assert path.stat().st_mode & 0o777 == 0o600
    verifier = path.with_name("new.key.pub").read_text().strip()
    assert verifier.startswith("ledger.example+") and f"verifier key: {verifier}" in out
    before = path.read_text()
    status, out = await pledger(env, "keys", "generate", "--name", "other", "--out", str(path))
    assert status != 0 and "exists" in out
    assert path.read_text() == before


async def test_rewritten_event_bytes_are_named_by_verify_and_fail_the_audit(
    env: LedgerEnv, aiohttp_server: Any, tmp_path: Path
) -> None:
    url, state = await _serve(aiohttp_server, env), tmp_path / "trusted.json"
    await env.append(10)
    await env.wait_for_checkpoint(10)
    await audit(url, env.key.verifier, state)  # the auditor trusts checkpoint 10
    await env.append(10)
    await env.wait_for_checkpoint(20)
    target = await _event(env, 15)
    forged = target["canonical"].replace(b'"n":4', b'"n":40')
    assert forged != target["canonical"]
    await _rewrite(env, "UPDATE events SET canonical = $1 WHERE position = 15", forged)

    status, out = await pledger(env, "verify", "--quiet")
    assert status == 1, out
    failures = [line for line in out.splitlines() if line.startswith("FAIL ")]
    assert failures == [
        f"FAIL event 15 (stream {target['stream_id']}, version {target['version']}):"
        " its stored bytes no longer match its leaf in the tree",
        f"FAIL event 15 (stream {target['stream_id']}, version {target['version']}):"
        " its columns disagree with its stored bytes",
    ]
    with pytest.raises(AuditFailure, match="event 15 .* is not what checkpoint"):
        await audit(url, env.key.verifier, state)
    # An old event too, once the auditor samples the whole log.
    await _rewrite(env, "UPDATE events SET canonical = $1 WHERE position = 15", target["canonical"])
    early = await _event(env, 3)
    await _rewrite(
        env,
        "UPDATE events SET canonical = $1 WHERE position = 3",
        early["canonical"].replace(b'"n":2', b'"n":20'),
    )
    with pytest.raises(AuditFailure, match="event 3 "):
        await audit(url, env.key.verifier, state, sample=1000)
    # The default run re-checks 256 older events: all of a log this small.
    with pytest.raises(AuditFailure, match="event 3 "):
        await audit(url, env.key.verifier, state)
    status, out = await pledger(
        env,
        "audit",
        "--url",
        url,
        "--key",
        str(env.key.verifier),
        "--state",
        str(state),
        "--sample",
        "1000",
    )
    assert status == 1 and "AUDIT FAILED: event 3 " in out, out


async def test_a_changed_data_column_is_named_by_verify(
    env: LedgerEnv, aiohttp_server: Any
) -> None:
    await _serve(aiohttp_server, env)
    await env.append(6)
    await env.wait_for_checkpoint(6)
    target = await _event(env, 4)
    await _rewrite(env, """UPDATE events SET data = '{"n": 99}' WHERE position = 4""")
    status, out = await pledger(env, "verify", "--quiet")
    assert status == 1
    failures = [line for line in out.splitlines() if line.startswith("FAIL ")]
    assert failures == [
        f"FAIL event 4 (stream {target['stream_id']}, version {target['version']}):"
        " its columns disagree with its stored bytes"
    ]


async def test_a_rollback_to_an_old_backup_fails_the_consistency_check(
    env: LedgerEnv, aiohttp_server: Any, tmp_path: Path
) -> None:
    url, state = await _serve(aiohttp_server, env), tmp_path / "trusted.json"
    await env.append(20)
    await env.wait_for_checkpoint(20)
    trusted = await audit(url, env.key.verifier, state)
    assert trusted.latest.tree_size == 20
    # Restore "last night's backup": the log, its tree and its checkpoints as of 14 events.
    async with env.superuser() as conn, conn.transaction():
        for table in ("events", "merkle_nodes", "checkpoints"):
            await conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_refuse_update_delete")
        await conn.execute("DELETE FROM events WHERE position > 14")
        await conn.execute("DELETE FROM merkle_nodes WHERE (index + 1) << level > 14")
        await conn.execute("DELETE FROM checkpoints WHERE tree_size > 14")
        for table in ("events", "merkle_nodes", "checkpoints"):
            await conn.execute(
                f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_refuse_update_delete"
            )
    await env.append(11)  # life goes on: positions 15..25 now hold other events
    await env.wait_for_checkpoint(25)
    with pytest.raises(AuditFailure, match="not an extension of trusted checkpoint 20"):
        await audit(url, env.key.verifier, state)
