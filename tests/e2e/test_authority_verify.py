"""`pledger verify` checks authority from the log alone: an assessment slipped in by a superuser
(triggers off) without a matching principal or grant is reported by its position."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from service.app import create_app
from service.log.records import NewEvent, render_canonical
from tests.auth_support import admin_headers, principal_of
from tests.commitments_support import assessment, commitment, party, post
from tests.e2e.test_ledger_tamper import pledger
from tests.ledger_support import LedgerEnv, ledger_env


@pytest.fixture
async def env(server_dsn: str, tmp_path: Path) -> AsyncIterator[LedgerEnv]:
    async with ledger_env(server_dsn, tmp_path) as env:
        yield env


async def _insert(env: LedgerEnv, stream_id: str, data: Any, metadata: Any) -> int:
    """Append as an attacker with superuser rights would: straight into the table."""
    async with env.superuser() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")  # triggers off
        position = await conn.fetchval("SELECT coalesce(max(position), 0) + 1 FROM events")
        version = await conn.fetchval(
            "SELECT coalesce(max(version), 0) + 1 FROM events WHERE stream_id = $1", stream_id
        )
        now = datetime.now(UTC)
        event = NewEvent("assessment_recorded", data, now, metadata, uuid.uuid4())
        canonical = render_canonical(
            event, stream_id=stream_id, version=version, position=position, recorded_at=now
        )
        await conn.execute(
            "INSERT INTO events (position, stream_id, version, event_id, type, data, metadata,"
            " occurred_at, recorded_at, canonical) VALUES ($1, $2, $3, $4, $5, $6::jsonb,"
            " $7::jsonb, $8, $8, $9)",
            position,
            stream_id,
            version,
            event.event_id,
            event.type,
            json.dumps(data),
            json.dumps(metadata),
            now,
            canonical,
        )
        return int(position)


async def test_verify_reports_assessments_without_principal_or_grant(
    env: LedgerEnv, aiohttp_client: Any
) -> None:
    settings = env.settings(signing_key=None)
    headers = await admin_headers(env.dsn)
    client = await aiohttp_client(create_app(settings), headers=headers)
    body = await commitment(client)
    monitor = await party(client, "m")
    as_monitor = await principal_of(client, monitor, "reported")
    url = f"/v1/commitments/{body['id']}/events"
    await post(client, url, assessment(monitor, strength="reported"), **as_monitor)
    status, out = await pledger(env, "verify", "--quiet")
    assert "1 assessments' authority" in out and "0 finding(s)" in out, out

    stream = f"commitment-{body['id']}"
    data = assessment(monitor, "breached", strength="verified")
    data = {k: v for k, v in data.items() if k not in ("type", "occurred_at")}
    data["effective_at"] = "2021-02-18T00:00:00.000000Z"
    forged = {"recorded_by": monitor, "principal": "nobody", "via": "api"}
    unprincipled = await _insert(env, stream, data, forged)
    name = await _principal_name(env, monitor)
    ungranted = await _insert(env, stream, data, forged | {"principal": name})
    status, out = await pledger(env, "verify", "--quiet")
    assert status == 1
    assert f"FAIL event {unprincipled}: assessment by {monitor}: principal nobody" in out
    assert f"FAIL event {ungranted}: " in out and "exceeds" in out


async def _principal_name(env: LedgerEnv, party: str) -> str:
    async with env.superuser() as conn:
        return str(await conn.fetchval("SELECT name FROM principals WHERE party = $1", party))
