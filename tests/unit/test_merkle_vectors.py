"""RFC 6962 algorithms against the transparency-dev/merkle vectors vendored in tests/data."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from service.ledger.merkle import (
    EMPTY_ROOT,
    NodeGetter,
    consistency_proof,
    extend_tree,
    inclusion_proof,
    leaf_hash,
    root_of,
)
from service.ledger.proofs import ProofError, verify_consistency, verify_inclusion

# Vendored with their license (tests/data/rfc6962/README.md): a fresh clone needs nothing else.
VECTORS = Path(__file__).resolve().parents[1] / "data" / "rfc6962"


def _cases(kind: str) -> list[Path]:
    # An empty list would make pytest skip silently; a missing path fails loudly instead.
    return sorted(VECTORS.glob(f"{kind}/**/*.json")) or [VECTORS / kind / "MISSING.json"]


def _load(path: Path) -> dict[str, Any]:
    if not path.exists():
        pytest.fail(f"test vectors missing: {path} (vendored under tests/data/rfc6962)")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _proof(value: list[str] | None) -> list[bytes]:
    return [_b64(item) for item in value or []]


def _case_id(path: Path) -> str:
    return str(path.relative_to(VECTORS).with_suffix(""))


def _roots() -> dict[str, Any]:
    return _load(VECTORS / "roots.json")


def _leaves() -> list[bytes]:
    return [leaf_hash(bytes.fromhex(h)) for h in _roots()["leaf_inputs_hex"]]


def _nodes(leaves: list[bytes]) -> NodeGetter:
    rows = extend_tree(0, {}, leaves)
    return lambda ids: {node_id: rows[node_id] for node_id in ids}


def test_every_vector_file_is_present() -> None:
    assert VECTORS.is_dir(), f"missing {VECTORS}"
    assert len(_cases("inclusion")) + len(_cases("consistency")) == 196, (
        "the vector set changed: review the new cases"
    )


def test_root_hashes_for_sizes_0_to_8() -> None:
    leaves, want = _leaves(), _roots()["root_hashes_hex_by_size"]
    assert len(want) == 9
    assert want[0] == EMPTY_ROOT.hex()
    for n in range(9):
        assert root_of(leaves[:n]).hex() == want[n], n


@pytest.mark.parametrize("path", _cases("inclusion"), ids=_case_id)
def test_inclusion_vector(path: Path) -> None:
    case = _load(path)
    args = (case["leafIdx"], case["treeSize"], _b64(case["leafHash"]), _proof(case["proof"]))
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args, _b64(case["root"]))
    else:
        verify_inclusion(*args, _b64(case["root"]))


@pytest.mark.parametrize("path", _cases("consistency"), ids=_case_id)
def test_consistency_vector(path: Path) -> None:
    case = _load(path)
    args = (case["size1"], case["size2"], _b64(case["root1"]), _b64(case["root2"]))
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args, _proof(case["proof"]))
    else:
        verify_consistency(*args, _proof(case["proof"]))


@pytest.mark.parametrize("path", sorted(VECTORS.glob("inclusion/*/happy-path.json")), ids=_case_id)
def test_generated_inclusion_proof_matches_happy_vectors(path: Path) -> None:
    case = _load(path)
    leaves = _leaves()
    got = inclusion_proof(case["leafIdx"], case["treeSize"], _nodes(leaves[: case["treeSize"]]))
    assert got == _proof(case["proof"])


@pytest.mark.parametrize(
    "path", sorted(VECTORS.glob("consistency/*/happy-path.json")), ids=_case_id
)
def test_generated_consistency_proof_matches_happy_vectors(path: Path) -> None:
    case = _load(path)
    got = consistency_proof(case["size1"], case["size2"], _nodes(_leaves()[: case["size2"]]))
    assert got == _proof(case["proof"])
