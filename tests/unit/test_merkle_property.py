"""Every proof the server's tree code produces verifies, and no single-bit change does.

A changed size is checked against the true root of the tree of that size, because that is the
root a verifier would hold for it (a signed checkpoint binds size and root together); the audit
path alone does not encode the size (a proof for leaf 0 of 5 leaves also walks a tree of 7).
"""

from __future__ import annotations

from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from service.ledger.merkle import (
    NodeId,
    consistency_proof,
    extend_tree,
    inclusion_proof,
    leaf_hash,
    node_hash,
    range_hash,
    range_nodes,
)
from service.ledger.proofs import ProofError, verify_consistency, verify_inclusion

MAX_SIZE = 300


@cache
def _tree(size: int) -> dict[NodeId, bytes]:
    """All complete-subtree nodes of the first `size` synthetic leaves."""
    return extend_tree(0, {}, [leaf_hash(f"leaf {i}".encode()) for i in range(size)])


def _get(size: int):  # type: ignore[no-untyped-def]
    nodes = _tree(size)
    return lambda ids: {node_id: nodes[node_id] for node_id in ids}


def _root(size: int) -> bytes:
    return range_hash(0, size, _tree(size))


def _flip(value: bytes, bit: int) -> bytes:
    out = bytearray(value)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def _rejected(check, *args) -> bool:  # type: ignore[no-untyped-def]
    try:
        check(*args)
    except ProofError:
        return True
    return False


sizes = st.integers(min_value=2, max_value=MAX_SIZE)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), size=sizes)
def test_inclusion_proofs_verify_and_bit_flips_do_not(data: st.DataObject, size: int) -> None:
    index = data.draw(st.integers(0, size - 1), label="index")
    leaf, root = _tree(size)[(0, index)], _root(size)
    proof = inclusion_proof(index, size, _get(size))
    verify_inclusion(index, size, leaf, proof, root)

    bit = data.draw(st.integers(0, 255), label="bit")
    assert _rejected(verify_inclusion, index, size, _flip(leaf, bit), proof, root)
    assert _rejected(verify_inclusion, index, size, leaf, proof, _flip(root, bit))
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1), label="element")
        bad = [*proof[:i], _flip(proof[i], bit), *proof[i + 1 :]]
        assert _rejected(verify_inclusion, index, size, leaf, bad, root)
    size_bit = data.draw(st.integers(0, size.bit_length()), label="size bit")
    other_size = size ^ (1 << size_bit)
    other_root = _root(other_size) if 0 < other_size <= 2 * MAX_SIZE else root
    assert _rejected(verify_inclusion, index, other_size, leaf, proof, other_root)
    index_bit = data.draw(st.integers(0, size.bit_length()), label="index bit")
    other_leaf = _tree(size).get((0, index ^ (1 << index_bit)), leaf)
    assert _rejected(verify_inclusion, index ^ (1 << index_bit), size, leaf, proof, root)
    assert _rejected(verify_inclusion, index ^ (1 << index_bit), size, other_leaf, proof, root)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), second=sizes)
def test_consistency_proofs_verify_and_bit_flips_do_not(data: st.DataObject, second: int) -> None:
    first = data.draw(st.integers(1, second - 1), label="first")
    first_root, second_root = _root(first), _root(second)
    proof = consistency_proof(first, second, _get(second))
    verify_consistency(first, second, first_root, second_root, proof)

    bit = data.draw(st.integers(0, 255), label="bit")
    flipped_first, flipped_second = _flip(first_root, bit), _flip(second_root, bit)
    assert _rejected(verify_consistency, first, second, flipped_first, second_root, proof)
    assert _rejected(verify_consistency, first, second, first_root, flipped_second, proof)
    i = data.draw(st.integers(0, len(proof) - 1), label="element")
    bad = [*proof[:i], _flip(proof[i], bit), *proof[i + 1 :]]
    assert _rejected(verify_consistency, first, second, first_root, second_root, bad)

    which = data.draw(st.sampled_from(["first", "second"]), label="which size")
    size = first if which == "first" else second
    size_bit = data.draw(st.integers(0, size.bit_length()), label="size bit")
    other = size ^ (1 << size_bit)
    m, n = (other, second) if which == "first" else (first, other)
    m_root = _root(m) if 0 < m <= 2 * MAX_SIZE else first_root
    n_root = _root(n) if 0 < n <= 2 * MAX_SIZE else second_root
    assert _rejected(verify_consistency, m, n, m_root, n_root, proof)


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH written recursively, as the RFC states it."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


@settings(max_examples=200, deadline=None)
@given(cuts=st.lists(st.integers(1, 40), min_size=1, max_size=12))
def test_building_in_batches_gives_the_same_tree_as_the_rfc(cuts: list[int]) -> None:
    nodes: dict[NodeId, bytes] = {}
    size = 0
    for batch in cuts:
        leaves = [leaf_hash(f"leaf {size + i}".encode()) for i in range(batch)]
        frontier = {node_id: nodes[node_id] for node_id in range_nodes(0, size)}
        nodes.update(extend_tree(size, frontier, leaves))
        size += batch
        assert range_hash(0, size, nodes) == _mth([nodes[(0, i)] for i in range(size)])
    assert nodes == _tree(size)
