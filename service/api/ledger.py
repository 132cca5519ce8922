"""The verifiable ledger over HTTP: checkpoints, the key, inclusion and consistency proofs."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from aiohttp import web

from service.api.keys import SETTINGS, TREE
from service.api.params import CheckpointParams, ConsistencyParams, PositionPath, ProofParams
from service.api.table import Reply, page_size, params, path_args
from service.domain.errors import EntityNotFound, InvalidParameter, NotFound, Unavailable
from service.ledger.checkpoint import SigningKey
from service.ledger.signing import SETTING, origin, read_key
from service.ledger.tree_store import TreeStore


def _tree(request: web.Request) -> TreeStore:
    tree = request.app[TREE]
    if tree is None:
        raise Unavailable("the ledger needs the PostgreSQL store")
    return tree


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


async def get_checkpoint(request: web.Request) -> Reply:
    latest = await _tree(request).latest_checkpoint()
    if latest is None:
        signing = request.app[SETTINGS].signing_key is not None
        hint = "" if signing else f"; signing is off (set {SETTING})"
        raise NotFound(f"no checkpoint has been signed yet{hint}")
    return Reply(latest.to_json())


async def list_checkpoints(request: web.Request) -> Reply:
    query = params(request, CheckpointParams)
    after, limit = query.after_size, page_size(request, query.limit)
    page = await _tree(request).checkpoints(after, limit)
    next_after = page[-1].tree_size if len(page) == limit else None
    return Reply({"checkpoints": [c.to_json() for c in page], "next": next_after})


async def get_key(request: web.Request) -> Reply:
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
    return Reply(body)


async def get_inclusion_proof(request: web.Request) -> Reply:
    position, tree = path_args(request, PositionPath).position, _tree(request)
    current = await tree.size()
    if position > current:
        detail = f"event {position} is not in the tree (size {current})"
        raise EntityNotFound("event", str(position), detail)
    size = params(request, ProofParams).tree_size or current
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
    return Reply(body)


async def get_consistency_proof(request: web.Request) -> Reply:
    query = params(request, ConsistencyParams)
    tree = _tree(request)
    current = await tree.size()
    first, second = query.first, query.second or current
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
    return Reply(body)
