"""The stored tree against real PostgreSQL: it follows the log, proves, and survives a restart."""

from __future__ import annotations

import asyncpg

from service.ledger.builder import build_once
from service.ledger.checkpoint import SigningKey, open_checkpoint
from service.ledger.checkpointer import checkpoint_once
from service.ledger.merkle import root_of
from service.ledger.proofs import verify_consistency, verify_inclusion
from service.ledger.tree_store import TreeStore
from service.log.records import leaf_hash
from service.store.postgres import PostgresStore
from tests.support import new_event, unique


async def _catch_up(store: PostgresStore, tree: TreeStore) -> int:
    while await build_once(tree, batch_size=7):
        pass
    return await tree.size()


async def _all_leaves(store: PostgresStore) -> list[bytes]:
    leaves: list[bytes] = []
    while batch := await store.read_all(len(leaves), 1000):
        leaves += [leaf_hash(e.canonical) for e in batch]
    return leaves


async def test_tree_follows_the_log_and_proves_every_event(
    pg_store: PostgresStore, pg_pool: asyncpg.Pool
) -> None:
    tree = TreeStore(pg_pool)
    for i in range(5):
        await pg_store.append(unique("tree"), [new_event(n=i), new_event(n=i + 1)], "no_stream")
    size = await _catch_up(pg_store, tree)
    leaves = await _all_leaves(pg_store)
    assert size == len(leaves) >= 10
    root = await tree.root(size)
    assert root == root_of(leaves)
    for index in (0, size // 2, size - 1):
        got_root, path = await tree.inclusion(index, size)
        assert got_root == root
        verify_inclusion(index, size, leaves[index], path, root)
    second_root, proof = await tree.consistency(size - 3, size)
    verify_consistency(size - 3, size, root_of(leaves[: size - 3]), second_root, proof)


async def test_a_restarted_builder_continues_the_same_tree(
    pg_store: PostgresStore, pg_pool: asyncpg.Pool
) -> None:
    first = TreeStore(pg_pool)
    size_before = await _catch_up(pg_store, first)
    root_before = await first.root(size_before)
    await pg_store.append(unique("restart"), [new_event(n=i) for i in range(9)], "no_stream")
    restarted = TreeStore(pg_pool)  # a new process: nothing in memory
    size_after = await _catch_up(pg_store, restarted)
    assert size_after >= size_before + 9
    assert await restarted.root(size_before) == root_before
    leaves = await _all_leaves(pg_store)
    assert await restarted.root(size_after) == root_of(leaves[:size_after])
    assert not await restarted.extend(size_before, leaves[size_before:size_after])


async def test_checkpoints_are_signed_once_and_never_recomputed(
    pg_store: PostgresStore, pg_pool: asyncpg.Pool
) -> None:
    tree, key, origin = TreeStore(pg_pool), SigningKey.generate("pledger.test"), "pledger.test"
    await pg_store.append(unique("cp"), [new_event()], "no_stream")
    size = await _catch_up(pg_store, tree)
    signed = await checkpoint_once(tree, key, origin, every_events=1, every_seconds=3600)
    assert signed is not None and signed.tree_size == size
    head = open_checkpoint(signed.note, key.verifier)
    assert (head.tree_size, head.root_hash) == (size, await tree.root(size))
    # Nothing new: not due, even with another key after a restart; the signed one stays.
    again = SigningKey.generate(origin)
    assert await checkpoint_once(tree, again, origin, every_events=1, every_seconds=1e-3) is None
    assert (await tree.latest_checkpoint()) == signed
    await pg_store.append(unique("cp"), [new_event(), new_event()], "no_stream")
    await _catch_up(pg_store, tree)
    waiting = await checkpoint_once(tree, key, origin, every_events=1000, every_seconds=3600)
    assert waiting is None  # two new events: neither N events nor T seconds yet
    due = await checkpoint_once(tree, key, origin, every_events=2, every_seconds=3600)
    assert due is not None and due.tree_size >= size + 2
    history = await tree.checkpoints(size - 1, 10)
    assert [c.tree_size for c in history][:2] == [size, due.tree_size]


async def test_the_ledger_tables_refuse_changes_even_to_their_owner(
    pg_store: PostgresStore, pg_pool: asyncpg.Pool, database_url: str
) -> None:
    tree = TreeStore(pg_pool)
    await pg_store.append(unique("guard"), [new_event()], "no_stream")
    await _catch_up(pg_store, tree)
    key = SigningKey.generate("pledger.test")
    await checkpoint_once(tree, key, "pledger.test", every_events=1, every_seconds=1e-3)
    assert await tree.latest_checkpoint() is not None
    owner = await asyncpg.connect(database_url)  # the migrating role: the triggers still refuse
    try:
        for sql in (
            "UPDATE merkle_nodes SET hash = hash WHERE level = 0 AND index = 0",
            "DELETE FROM merkle_nodes WHERE level = 0 AND index = 0",
            "UPDATE checkpoints SET note = note",
            "DELETE FROM checkpoints",
            "TRUNCATE merkle_nodes",
            "TRUNCATE checkpoints",
        ):
            for conn in (owner, pg_pool):
                try:
                    await conn.execute(sql)
                except asyncpg.InsufficientPrivilegeError:
                    continue
                raise AssertionError(f"{sql} was allowed")
    finally:
        await owner.close()
