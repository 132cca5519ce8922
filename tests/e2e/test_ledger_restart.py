"""Restarting the service mid-stream continues the same tree and never re-signs a checkpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from service.config import ConfigError, Settings
from service.ledger.audit import audit
from service.ledger.background import ledger_background
from service.ledger.signing import write_key_pair
from tests.e2e.test_ledger_tamper import pledger
from tests.ledger_support import LedgerEnv, ledger_env


@pytest.fixture
async def env(server_dsn: str, tmp_path: Path) -> AsyncIterator[LedgerEnv]:
    async with ledger_env(server_dsn, tmp_path) as env:
        yield env


async def _checkpoints(env: LedgerEnv) -> list[tuple[Any, ...]]:
    rows = await env.pool.fetch("SELECT * FROM checkpoints ORDER BY tree_size")
    return [tuple(r) for r in rows]


async def test_a_restart_continues_the_same_tree(
    env: LedgerEnv, aiohttp_server: Any, tmp_path: Path
) -> None:
    first = await aiohttp_server(env.app())
    url, state = str(first.make_url("")).rstrip("/"), tmp_path / "trusted.json"
    await env.append(10)
    await env.wait_for_checkpoint(10)
    await audit(url, env.key.verifier, state)
    await first.close()
    signed_before = await _checkpoints(env)

    await env.append(7)  # written while the ledger is down
    second = await aiohttp_server(env.app())
    url = str(second.make_url("")).rstrip("/")
    await env.wait_for_checkpoint(17)
    signed_after = await _checkpoints(env)
    assert signed_after[: len(signed_before)] == signed_before  # nothing re-signed
    result = await audit(url, env.key.verifier, state)  # consistency 10 -> 17 holds: no fork
    assert (result.trusted and result.trusted.tree_size, result.latest.tree_size) == (10, 17)
    status, out = await pledger(env, "verify", "--quiet")
    assert status == 0, out


def test_an_unreadable_signing_key_stops_start_up_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PLEDGER_SIGNING_KEY: cannot read"):
        ledger_background(Settings(signing_key=tmp_path / "missing.key"))
    (tmp_path / "bad.key").write_text("not a key\n")
    with pytest.raises(ConfigError, match="PLEDGER_SIGNING_KEY: .* is not a signing key"):
        ledger_background(Settings(signing_key=tmp_path / "bad.key"))


async def test_serve_refuses_to_start_with_a_missing_key(env: LedgerEnv, tmp_path: Path) -> None:
    env.key_path = tmp_path / "nowhere.key"
    status, out = await pledger(env, "serve", "--port", "0")
    assert status != 0
    assert "PLEDGER_SIGNING_KEY" in out and "nowhere.key" in out


def test_a_signing_key_others_may_read_stops_start_up_naming_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "shared.key"
    write_key_pair("shared.pledger.test", path)
    path.chmod(0o640)
    with pytest.raises(ConfigError, match=r"shared.key may be read by group .* chmod 600"):
        ledger_background(Settings(signing_key=path))
    path.chmod(0o600)
    ledger_background(Settings(signing_key=path))
