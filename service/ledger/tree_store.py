"""PostgreSQL access for the ledger's own tables: the write-once tree nodes and checkpoints."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.ledger.merkle import (
    NodeId,
    consistency_ranges,
    extend_tree,
    hash_ranges,
    inclusion_ranges,
    nodes_for,
    range_hash,
    range_nodes,
)
from service.store.errors import translate_db_errors

log = logging.getLogger(__name__)

# Taken by every tree extension, so that two servers never race to insert the same nodes.
TREE_LOCK = 7_085_201_004

SIZE_SQL = "SELECT coalesce(max(index) + 1, 0) FROM merkle_nodes WHERE level = 0"
NODES_SQL = """
SELECT n.level, n.index, n.hash FROM merkle_nodes n
JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, index) USING (level, index)
"""
# Through the functions of schema/006_roles.sql: the service's role may not insert itself.
INSERT_NODES_SQL = "SELECT pledger_add_nodes($1::smallint[], $2::bigint[], $3::bytea[])"
CHECKPOINT_COLUMNS = "tree_size, root_hash, note, signed_at"
# RFC 6962 leaf hashes of the events after a position, exactly over the stored bytes.
LEAVES_SQL = """
SELECT position, sha256('\\x00'::bytea || canonical) AS leaf FROM events
WHERE position > $1 ORDER BY position LIMIT $2
"""


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    tree_size: int
    root_hash: bytes
    note: str
    signed_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "signed_at": self.signed_at.isoformat().replace("+00:00", "Z"),
            "checkpoint": self.note,
        }


class MissingNodes(LookupError):
    """The tree does not (yet) hold nodes that a proof needs: the size is beyond the tree."""


async def fetch_nodes(conn: Any, ids: Iterable[NodeId]) -> dict[NodeId, bytes]:
    wanted = list(ids)
    levels, indexes = [lvl for lvl, _ in wanted], [i for _, i in wanted]
    rows = await conn.fetch(NODES_SQL, levels, indexes)
    return {(r["level"], r["index"]): bytes(r["hash"]) for r in rows}


class TreeStore:
    """The Merkle tree as stored: its size, proofs from stored nodes, and extension by a batch."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def size(self) -> int:
        with translate_db_errors():
            size: int = await self._pool.fetchval(SIZE_SQL)
        return size

    async def _nodes(self, ids: set[NodeId]) -> dict[NodeId, bytes]:
        with translate_db_errors():
            async with self._pool.acquire() as conn:
                nodes = await fetch_nodes(conn, ids)
        if len(nodes) != len(ids):
            raise MissingNodes(f"{len(ids) - len(nodes)} node(s) are not stored yet")
        return nodes

    async def root(self, size: int) -> bytes:
        return range_hash(0, size, await self._nodes(set(range_nodes(0, size))))

    async def leaf(self, index: int) -> bytes:
        return (await self._nodes({(0, index)}))[(0, index)]

    async def inclusion(self, index: int, size: int) -> tuple[bytes, list[bytes]]:
        """The root of `size` and the audit path of leaf `index`, in one query."""
        return await self._proof(inclusion_ranges(index, size), size)

    async def consistency(self, first: int, second: int) -> tuple[bytes, list[bytes]]:
        """The root of `second` and the consistency proof from `first`, in one query."""
        return await self._proof(consistency_ranges(first, second), second)

    async def _proof(self, ranges: list[tuple[int, int]], size: int) -> tuple[bytes, list[bytes]]:
        nodes = await self._nodes(nodes_for([*ranges, (0, size)]))
        return range_hash(0, size, nodes), hash_ranges(ranges, nodes)

    async def extend(self, size: int, leaves: Sequence[bytes]) -> bool:
        """Add leaves [size, size + len(leaves)) in one transaction; False if another did."""
        with translate_db_errors():
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", TREE_LOCK)
                if await conn.fetchval(SIZE_SQL) != size:
                    return False
                await _insert(conn, size, leaves)
        return True

    async def extend_from_log(self, batch_size: int) -> int:
        """Hash up to `batch_size` new events into the tree, in one transaction; how many.

        The leaf hashes are computed by PostgreSQL from the stored bytes, so only 32 bytes per
        event cross the wire and the service's own process stays free for the appenders.
        """
        with translate_db_errors():
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", TREE_LOCK)
                size: int = await conn.fetchval(SIZE_SQL)
                rows = await conn.fetch(LEAVES_SQL, size, batch_size)
                leaves = contiguous_leaves(size, rows)
                if leaves:
                    await _insert(conn, size, leaves)
        return len(leaves)

    async def latest_checkpoint(self) -> StoredCheckpoint | None:
        sql = f"SELECT {CHECKPOINT_COLUMNS} FROM checkpoints ORDER BY tree_size DESC LIMIT 1"
        with translate_db_errors():
            row = await self._pool.fetchrow(sql)
        return _checkpoint(row) if row else None

    async def checkpoints(self, after_size: int, limit: int) -> list[StoredCheckpoint]:
        sql = (
            f"SELECT {CHECKPOINT_COLUMNS} FROM checkpoints WHERE tree_size > $1"
            " ORDER BY tree_size LIMIT $2"
        )
        with translate_db_errors():
            rows = await self._pool.fetch(sql, after_size, limit)
        return [_checkpoint(r) for r in rows]

    async def add_checkpoint(self, tree_size: int, root_hash: bytes, note: str) -> bool:
        """Store a signed checkpoint; False when one for this size exists (it is never replaced)."""
        sql = "SELECT pledger_add_checkpoint($1, $2, $3)"
        with translate_db_errors():
            return await self._pool.fetchval(sql, tree_size, root_hash, note) is not None


def contiguous_leaves(size: int, rows: Sequence[Any]) -> list[bytes]:
    """The leaves of positions size+1, size+2, ...; a gap (never expected) ends the batch."""
    leaves = []
    for expected, (position, leaf) in enumerate(rows, start=size + 1):
        if position != expected:
            log.warning("log gap: expected position %d, read %d", expected, position)
            break
        leaves.append(bytes(leaf))
    return leaves


async def _insert(conn: Any, size: int, leaves: Sequence[bytes]) -> None:
    frontier = await fetch_nodes(conn, range_nodes(0, size))
    await conn.execute(INSERT_NODES_SQL, *_columns(extend_tree(size, frontier, leaves)))


def _checkpoint(row: Mapping[str, Any]) -> StoredCheckpoint:
    return StoredCheckpoint(
        row["tree_size"], bytes(row["root_hash"]), row["note"], row["signed_at"]
    )


def _columns(nodes: Mapping[NodeId, bytes]) -> tuple[list[int], list[int], list[bytes]]:
    return [lvl for lvl, _ in nodes], [i for _, i in nodes], list(nodes.values())
