"""RFC 6962 Merkle tree hashing and proof generation from stored complete subtrees.

Pure: no I/O. Verification lives in service/ledger/proofs.py so that an auditor can use it alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence

from service.log.records import leaf_hash

__all__ = [
    "EMPTY_ROOT",
    "NodeGetter",
    "NodeId",
    "consistency_ranges",
    "consistency_proof",
    "extend_tree",
    "hash_ranges",
    "inclusion_ranges",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "nodes_for",
    "range_hash",
    "range_nodes",
    "root_of",
    "split_point",
]

NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

# A complete subtree: (level, index) covers leaves [index * 2**level, (index + 1) * 2**level).
NodeId = tuple[int, int]
Range = tuple[int, int]  # leaves [start, end)
# Fetches the given stored nodes (one round trip for a whole proof).
NodeGetter = Callable[[set[NodeId]], Mapping[NodeId, bytes]]


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two below n (n >= 2): where RFC 6962 splits a tree of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaves: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes, folding complete subtrees the way the stored tree does."""
    if not leaves:
        return EMPTY_ROOT
    levels: list[list[bytes]] = [list(leaves)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
    nodes = {(lvl, i): h for lvl, row in enumerate(levels) for i, h in enumerate(row)}
    return range_hash(0, len(leaves), nodes)


def range_nodes(start: int, end: int) -> list[NodeId]:
    """The complete subtrees, left to right, whose concatenation is leaves [start, end).

    Only called for ranges that occur in RFC 6962 proofs and roots: their start is aligned to
    a power of two at least as large as the range, so the decomposition is the set bits of the
    range's size, largest first.
    """
    nodes: list[NodeId] = []
    size = end - start
    while size:
        level = size.bit_length() - 1
        nodes.append((level, start >> level))
        start += 1 << level
        size -= 1 << level
    return nodes


def range_hash(start: int, end: int, nodes: Mapping[NodeId, bytes]) -> bytes:
    """MTH(D[start:end]) from stored complete subtrees: fold the right-hand ones first."""
    ids = range_nodes(start, end)
    if not ids:
        return EMPTY_ROOT
    acc = nodes[ids[-1]]
    for node_id in reversed(ids[:-1]):
        acc = node_hash(nodes[node_id], acc)
    return acc


def extend_tree(
    size: int, frontier: Mapping[NodeId, bytes], leaves: Sequence[bytes]
) -> dict[NodeId, bytes]:
    """The complete-subtree nodes that appending `leaves` to a tree of `size` leaves creates.

    `frontier` holds range_nodes(0, size), the only old nodes a new node can have as a left child.
    """
    new: dict[NodeId, bytes] = {}
    for offset, digest in enumerate(leaves):
        level, index = 0, size + offset
        new[(level, index)] = digest
        while index & 1:
            left = new.get((level, index - 1)) or frontier[(level, index - 1)]
            digest = node_hash(left, digest)
            level, index = level + 1, index >> 1
            new[(level, index)] = digest
    return new


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """RFC 6962 §2.1.1 PATH(m, D[n]) as leaf ranges, leaf to root."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    ranges: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index - start < k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def consistency_ranges(first: int, second: int) -> list[Range]:
    """RFC 6962 §2.1.2 PROOF(m, D[n]) as leaf ranges, for 0 < m <= n."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    ranges: list[Range] = []
    start, end, m, whole = 0, second, first, True
    while m != end - start:
        k = split_point(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def nodes_for(ranges: Iterable[Range]) -> set[NodeId]:
    """Every stored node needed to hash the given ranges: fetch them in one query."""
    return {node for start, end in ranges for node in range_nodes(start, end)}


def hash_ranges(ranges: Iterable[Range], nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    """A proof's hashes once its nodes (see nodes_for) have been fetched."""
    return [range_hash(start, end, nodes) for start, end in ranges]


def _proof(ranges: list[Range], get_nodes: NodeGetter) -> list[bytes]:
    return hash_ranges(ranges, get_nodes(nodes_for(ranges)))


def inclusion_proof(index: int, size: int, get_nodes: NodeGetter) -> list[bytes]:
    """The audit path for leaf `index` in the tree of `size` leaves, from stored nodes."""
    return _proof(inclusion_ranges(index, size), get_nodes)


def consistency_proof(first: int, second: int, get_nodes: NodeGetter) -> list[bytes]:
    """The consistency proof between tree sizes first and second, from stored nodes."""
    return _proof(consistency_ranges(first, second), get_nodes)
