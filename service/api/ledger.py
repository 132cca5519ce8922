"""The verifiable ledger over HTTP: checkpoints, the key, inclusion and consistency proofs."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from aiohttp import web

from service.api.keys import POOL, SETTINGS
from service.api.params import int_param, limit_param
from service.api.rendering import json_response
from service.domain.errors import EntityNotFound, InvalidParameter, NotFound, Unavailable
from service.ledger.checkpoint import SigningKey
from service.ledger.signing import SETTING, origin, read_key
from service.ledger.tree_store import TreeStore

MAX_SIZE = 2**62


def _tree(request: web.Request) -> TreeStore:
    pool = request.app[POOL]
    if pool is None:
        raise Unavailable("the ledger needs the PostgreSQL store")
    return TreeStore(pool)


@lru_cache(maxsize=4)
def _key(path: Path) -> SigningKey:
    return read_key(path)


async def _size(tree: TreeStore, name: str, value: int) -> int:
    """`value` if the tree has reached it; 404 naming the parameter otherwise."""
    size = await tree.size()
    if value > size:
        raise EntityNotFound(
            "tree_size", str(value), f"{name} {value} is beyond the tree (size {size})"
        )
    return value


async def get_checkpoint(request: web.Request) -> web.Response:
    latest = await _tree(request).latest_checkpoint()
    if latest is None:
        signing = request.app[SETTINGS].signing_key is not None
        hint = "" if signing else f"; signing is off (set {SETTING})"
        raise NotFound(f"no checkpoint has been signed yet{hint}")
    return json_response(latest.to_json())


async def list_checkpoints(request: web.Request) -> web.Response:
    after = int_param(request, "after_size", 0, minimum=0, maximum=MAX_SIZE)
    limit = limit_param(request)
    page = await _tree(request).checkpoints(after, limit)
    next_after = page[-1].tree_size if len(page) == limit else None
    return json_response({"checkpoints": [c.to_json() for c in page], "next": next_after})


async def get_key(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    if settings.signing_key is None:
        raise Unavailable(f"checkpoint signing is off: set {SETTING}")
    verifier = _key(settings.signing_key).verifier
    body = {
        "name": verifier.name,
        "key_id": f"{verifier.key_id:08x}",
        "algorithm": "ed25519",
        "verifier_key": str(verifier),
        "origin": origin(settings, _key(settings.signing_key)),
    }
    return json_response(body)


async def get_inclusion_proof(request: web.Request) -> web.Response:
    raw = request.match_info["position"]
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_SIZE:
        raise InvalidParameter("position", f"position must be a positive integer, got {raw!r}")
    position, tree = int(raw), _tree(request)
    current = await tree.size()
    if position > current:
        raise EntityNotFound("event", raw, f"event {position} is not in the tree (size {current})")
    size = int_param(request, "tree_size", current, minimum=1, maximum=MAX_SIZE)
    if size < position:
        raise InvalidParameter("tree_size", f"tree_size {size} is smaller than position {position}")
    root, path = await tree.inclusion(position - 1, await _size(tree, "tree_size", size))
    body = {
        "position": position,
        "leaf_index": position - 1,
        "tree_size": size,
        "leaf_hash": (await tree.leaf(position - 1)).hex(),
        "root_hash": root.hex(),
        "audit_path": [h.hex() for h in path],
    }
    return json_response(body)


async def get_consistency_proof(request: web.Request) -> web.Response:
    if not request.query.get("first"):
        raise InvalidParameter("first", "first (the older tree size) is required")
    tree = _tree(request)
    current = await tree.size()
    first = int_param(request, "first", 1, minimum=1, maximum=MAX_SIZE)
    second = int_param(request, "second", current, minimum=1, maximum=MAX_SIZE)
    await _size(tree, "first", first)
    await _size(tree, "second", second)
    if first > second:
        raise InvalidParameter("first", f"first {first} is larger than second {second}")
    first_root = await tree.root(first)
    second_root, proof = await tree.consistency(first, second)
    body = {
        "first": first,
        "second": second,
        "first_root": first_root.hex(),
        "second_root": second_root.hex(),
        "proof": [h.hex() for h in proof],
    }
    return json_response(body)
