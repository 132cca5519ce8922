"""When the checkpointer signs: at most every N new events or T seconds, never the same size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.ledger.checkpointer import due
from service.ledger.tree_store import StoredCheckpoint, contiguous_leaves

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def _last(size: int, seconds_ago: float) -> StoredCheckpoint:
    return StoredCheckpoint(size, bytes(32), "note", NOW - timedelta(seconds=seconds_ago))


def test_the_first_checkpoint_is_due_as_soon_as_the_tree_has_a_leaf() -> None:
    assert not due(0, None, NOW, every_events=100, every_seconds=10)
    assert due(1, None, NOW, every_events=100, every_seconds=10)


def test_n_new_events_or_t_seconds_make_a_checkpoint_due() -> None:
    assert not due(150, _last(100, 1), NOW, every_events=100, every_seconds=10)
    assert due(200, _last(100, 1), NOW, every_events=100, every_seconds=10)
    assert due(101, _last(100, 10), NOW, every_events=100, every_seconds=10)


def test_an_unchanged_tree_is_never_signed_again() -> None:
    assert not due(100, _last(100, 3600), NOW, every_events=1, every_seconds=1)
    assert not due(90, _last(100, 3600), NOW, every_events=1, every_seconds=1)


def test_a_gap_in_the_log_ends_the_batch_before_it() -> None:
    rows = [(11, b"a" * 32), (12, b"b" * 32), (14, b"d" * 32)]
    assert contiguous_leaves(10, rows) == [b"a" * 32, b"b" * 32]
    assert contiguous_leaves(9, rows) == []
