"""`pledger audit`: the outside auditor's check of a running server, over HTTP only.

Shares nothing with the server's tree code: just the pure verification functions (proofs.py,
checkpoint.py) and the canonical form (records.py).
"""

from __future__ import annotations

import asyncio
import bisect
import json
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from service.ledger.checkpoint import Checkpoint, NoteError, VerifierKey, open_checkpoint
from service.ledger.proofs import ProofError, verify_consistency, verify_inclusion
from service.log.records import canonical_json, leaf_hash

CONCURRENCY = 16
PAGE = 1000


class AuditFailure(Exception):
    """What the audit found wrong; the message names it."""


@dataclass
class AuditResult:
    trusted: Checkpoint | None
    latest: Checkpoint
    checked_events: int


def load_state(path: Path, key: VerifierKey) -> tuple[Checkpoint | None, str | None]:
    """The trusted checkpoint in the state file (re-verified with the key), if there is one."""
    if not path.exists():
        return None, None
    note = json.loads(path.read_text(encoding="utf-8"))["checkpoint"]
    try:
        return open_checkpoint(note, key), note
    except NoteError as e:
        raise AuditFailure(f"the trusted checkpoint in {path} does not verify: {e}") from None


def save_state(path: Path, url: str, head: Checkpoint, note: str) -> None:
    """Write the new trusted checkpoint atomically (a crash leaves the old one)."""
    body = {
        "url": url,
        "origin": head.origin,
        "tree_size": head.tree_size,
        "root_hash": head.root_hash.hex(),
        "checkpoint": note,
    }
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def recompute_leaf(event: dict[str, Any]) -> bytes:
    """The leaf hash an outsider computes from the API's JSON: drop leaf_hash, write the rest
    in RFC 8785 (JCS) form, hash (docs/ledger.md; examples/verify_leaves.mjs is the same in JS)."""
    doc = {k: v for k, v in event.items() if k != "leaf_hash"}
    return leaf_hash(canonical_json(doc))


class Auditor:
    def __init__(self, session: aiohttp.ClientSession, url: str, key: VerifierKey) -> None:
        self._http, self._url, self._key = session, url.rstrip("/"), key

    async def _get(self, path: str, **params: int) -> Any:
        async with self._http.get(self._url + path, params=params) as response:
            body = await response.json(content_type=None)
            if response.status != 200:
                detail = body.get("detail") if isinstance(body, dict) else body
                raise AuditFailure(f"GET {path} {params or ''}: {response.status} {detail}")
            return body

    async def latest(self) -> tuple[Checkpoint, str]:
        note = (await self._get("/v1/ledger/checkpoint"))["checkpoint"]
        try:
            return open_checkpoint(note, self._key), note
        except NoteError as e:
            raise AuditFailure(f"the server's latest checkpoint does not verify: {e}") from None

    async def check_consistency(self, old: Checkpoint, new: Checkpoint) -> None:
        if new.origin != old.origin:
            raise AuditFailure(f"origin changed from {old.origin!r} to {new.origin!r}")
        if new.tree_size < old.tree_size:
            raise AuditFailure(
                f"the log shrank from {old.tree_size} to {new.tree_size} events (a rollback?)"
            )
        proof: list[bytes] = []
        if new.tree_size > old.tree_size:
            body = await self._get(
                "/v1/ledger/consistency", first=old.tree_size, second=new.tree_size
            )
            proof = [bytes.fromhex(h) for h in body["proof"]]
        try:
            verify_consistency(old.tree_size, new.tree_size, old.root_hash, new.root_hash, proof)
        except ProofError as e:
            raise AuditFailure(
                f"checkpoint {new.tree_size} is not an extension of trusted checkpoint"
                f" {old.tree_size}: {e}"
            ) from None

    async def events(self, positions: list[int]) -> dict[int, dict[str, Any]]:
        """The events at the given positions, read in pages of the global log."""
        found: dict[int, dict[str, Any]] = {}
        wanted = sorted(set(positions))
        i = 0
        while i < len(wanted):
            # A page reaching only as far as the wanted positions within it: sampled positions
            # far apart cost a one-event page each, not a thousand events they do not need.
            last_wanted = wanted[bisect.bisect_left(wanted, wanted[i] + PAGE) - 1]
            limit = last_wanted - wanted[i] + 1
            body = await self._get("/v1/events", after=wanted[i] - 1, limit=limit)
            for event in body["events"]:
                found[int(event["position"])] = event
            if not body["events"]:
                break
            last = int(body["events"][-1]["position"])
            while i < len(wanted) and wanted[i] <= last:
                i += 1
        return found

    async def check_inclusion(
        self, head: Checkpoint, position: int, event: dict[str, Any] | None
    ) -> None:
        if event is None:
            raise AuditFailure(f"event {position} is in checkpoint {head.tree_size} but not served")
        body = await self._get(f"/v1/events/{position}/proof", tree_size=head.tree_size)
        path = [bytes.fromhex(h) for h in body["audit_path"]]
        try:
            verify_inclusion(
                position - 1, head.tree_size, recompute_leaf(event), path, head.root_hash
            )
        except ProofError as e:
            stream, version = event.get("stream_id"), event.get("version")
            raise AuditFailure(
                f"event {position} (stream {stream}, version {version})"
                f" is not what checkpoint {head.tree_size} signed: {e}"
            ) from None


DEFAULT_SAMPLE = 256  # old events re-checked on every run (docs/ledger.md: the odds)


def positions_to_check(trusted_size: int, latest_size: int, sample: int) -> list[int]:
    """Every event since the trusted size, and `sample` drawn at random from the older ones:
    a rewrite of an old event that left the tree alone is met by chance, run after run."""
    new = range(trusted_size + 1, latest_size + 1)
    drawn = random.SystemRandom().sample(range(1, trusted_size + 1), min(sample, trusted_size))
    return sorted({*new, *drawn})


async def _check_all(
    auditor: Auditor, head: Checkpoint, positions: list[int], events: dict[int, dict[str, Any]]
) -> None:
    """Inclusion proofs, CONCURRENCY at a time; the first failure (in log order) is raised."""
    for start in range(0, len(positions), CONCURRENCY):
        chunk = positions[start : start + CONCURRENCY]
        results = await asyncio.gather(
            *(auditor.check_inclusion(head, p, events.get(p)) for p in chunk),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result


async def audit(
    url: str, key: VerifierKey, state: Path, sample: int = DEFAULT_SAMPLE
) -> AuditResult:
    """Check the server against the trusted state, then trust its latest checkpoint."""
    trusted, _ = load_state(state, key)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        auditor = Auditor(session, url, key)
        latest, note = await auditor.latest()
        if trusted is not None:
            await auditor.check_consistency(trusted, latest)
        positions = positions_to_check(
            trusted.tree_size if trusted else 0, latest.tree_size, sample
        )
        events = await auditor.events(positions)
        await _check_all(auditor, latest, positions, events)
    save_state(state, url, latest, note)
    return AuditResult(trusted, latest, len(positions))
