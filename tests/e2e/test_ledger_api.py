"""The ledger's HTTP endpoints through the real app: a happy and an unhappy path for each."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from service.ledger.audit import recompute_leaf
from service.ledger.checkpoint import VerifierKey, open_checkpoint
from service.ledger.proofs import verify_consistency, verify_inclusion
from tests.ledger_support import ORIGIN, LedgerEnv, ledger_env
from tests.support import wait_for


@pytest.fixture
async def env(server_dsn: str, tmp_path: Path) -> AsyncIterator[LedgerEnv]:
    async with ledger_env(server_dsn, tmp_path) as env:
        yield env


@pytest.fixture
async def client(aiohttp_client: Any, env: LedgerEnv) -> Any:
    return await aiohttp_client(env.app())


async def _json(client: Any, url: str, status: int = 200) -> Any:
    response = await client.get(url)
    body = await response.json(content_type=None)
    assert response.status == status, body
    if status >= 400:
        assert response.content_type == "application/problem+json"
    return body


async def test_checkpoint_key_and_history(client: Any, env: LedgerEnv) -> None:
    await env.append(3)
    await env.wait_for_checkpoint(3)
    await env.append(7)
    await env.wait_for_checkpoint(10)
    key = await _json(client, "/v1/ledger/key")
    assert key["verifier_key"] == str(env.key.verifier)
    assert (key["name"], key["origin"], key["algorithm"]) == (ORIGIN, ORIGIN, "ed25519")
    verifier = VerifierKey.parse(key["verifier_key"])
    latest = await _json(client, "/v1/ledger/checkpoint")
    head = open_checkpoint(latest["checkpoint"], verifier)
    assert (head.origin, head.tree_size, head.root_hash.hex()) == (
        ORIGIN,
        latest["tree_size"],
        latest["root_hash"],
    )
    history = (await _json(client, "/v1/ledger/checkpoints?after_size=0"))["checkpoints"]
    sizes = [c["tree_size"] for c in history]
    assert sizes == sorted(sizes) and sizes[-1] == head.tree_size and len(sizes) >= 2
    later = await _json(client, f"/v1/ledger/checkpoints?after_size={sizes[0]}&limit=1")
    assert [c["tree_size"] for c in later["checkpoints"]] == sizes[1:2]
    assert later["next"] == sizes[1]


async def test_inclusion_and_consistency_proofs_verify(client: Any, env: LedgerEnv) -> None:
    await env.append(11)
    latest = await env.wait_for_checkpoint(11)
    size = latest["tree_size"]
    head = open_checkpoint(latest["note"], env.key.verifier)
    events = (await _json(client, f"/v1/events?after=0&limit={size}"))["events"]
    for event in events:
        proof = await _json(client, f"/v1/events/{event['position']}/proof?tree_size={size}")
        assert proof["leaf_hash"] == event["leaf_hash"] == recompute_leaf(event).hex()
        path = [bytes.fromhex(h) for h in proof["audit_path"]]
        verify_inclusion(proof["leaf_index"], size, recompute_leaf(event), path, head.root_hash)
    for first in (1, 4, size - 1, size):
        body = await _json(client, f"/v1/ledger/consistency?first={first}&second={size}")
        assert body["second_root"] == head.root_hash.hex()
        proof = [bytes.fromhex(h) for h in body["proof"]]
        verify_consistency(first, size, bytes.fromhex(body["first_root"]), head.root_hash, proof)
    default = await _json(client, "/v1/events/1/proof")
    assert default["tree_size"] >= size


@pytest.mark.parametrize(
    ("url", "status", "parameter"),
    [
        ("/v1/events/abc/proof", 400, "position"),
        ("/v1/events/0/proof", 400, "position"),
        ("/v1/events/1/proof?tree_size=x", 400, "tree_size"),
        ("/v1/events/3/proof?tree_size=2", 400, "tree_size"),
        ("/v1/events/1/proof?tree_size=99999", 404, None),
        ("/v1/events/99999/proof", 404, None),
        ("/v1/ledger/consistency", 400, "first"),
        ("/v1/ledger/consistency?first=0", 400, "first"),
        ("/v1/ledger/consistency?first=3&second=2", 400, "first"),
        ("/v1/ledger/consistency?first=1&second=abc", 400, "second"),
        ("/v1/ledger/consistency?first=1&second=99999", 404, None),
        ("/v1/ledger/checkpoints?after_size=-1", 400, "after_size"),
        ("/v1/ledger/checkpoints?limit=0", 400, "limit"),
    ],
)
async def test_bad_requests_are_problems_naming_the_parameter(
    client: Any, env: LedgerEnv, url: str, status: int, parameter: str | None
) -> None:
    await env.append(3)
    await env.wait_for_checkpoint(3)
    body = await _json(client, url, status)
    assert body["status"] == status and body["detail"]
    if parameter:
        assert body["parameter"] == parameter


async def test_without_a_key_nothing_is_signed_and_the_api_says_why(
    aiohttp_client: Any, env: LedgerEnv
) -> None:
    client = await aiohttp_client(env.app(signing_key=None))
    empty = await _json(client, "/v1/ledger/consistency?first=1", 404)
    assert "beyond the tree (size 0)" in empty["detail"]
    await env.append(2)
    proof: dict[str, Any] = {}

    async def proved() -> bool:
        response = await client.get("/v1/events/2/proof")
        proof.update(await response.json())
        return response.status == 200

    await wait_for(proved)
    assert proof["tree_size"] == 2
    missing = await _json(client, "/v1/ledger/checkpoint", 404)
    assert "PLEDGER_SIGNING_KEY" in missing["detail"]
    off = await _json(client, "/v1/ledger/key", 503)
    assert "PLEDGER_SIGNING_KEY" in off["detail"]


async def test_the_openapi_document_lists_every_ledger_endpoint(client: Any) -> None:
    paths = (await _json(client, "/v1/openapi.json"))["paths"]
    for path in (
        "/v1/ledger/checkpoint",
        "/v1/ledger/checkpoints",
        "/v1/ledger/key",
        "/v1/events/{position}/proof",
        "/v1/ledger/consistency",
    ):
        assert "get" in paths[path], path
