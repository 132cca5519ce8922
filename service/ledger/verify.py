"""`pledger verify`: recompute every leaf, every stored node and every checkpoint, and report.

The chain checked is canonical bytes -> stored leaf -> stored nodes -> signed root, link by
link, so that each finding names the one thing that changed rather than everything above it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from service.auth.check import CHECKED_TYPES, AuthorityCheck
from service.ledger.checkpoint import NoteError, VerifierKey, open_checkpoint
from service.ledger.merkle import node_hash, range_hash, range_nodes
from service.ledger.tree_store import SIZE_SQL, fetch_nodes
from service.log.records import RecordedEvent, leaf_hash

PAGE = 20_000
EVENTS_SQL = """
SELECT e.position, e.stream_id, e.version, e.canonical, n.hash
FROM events e LEFT JOIN merkle_nodes n ON n.level = 0 AND n.index = e.position - 1
WHERE e.position > $1 ORDER BY e.position LIMIT $2
"""
AUTHORITY_SQL = """
SELECT position, canonical FROM events WHERE type = ANY($1) AND position > $2
ORDER BY position LIMIT $3
"""
LEVEL_SQL = """
SELECT index, hash FROM merkle_nodes WHERE level = $1 AND index >= $2 ORDER BY index LIMIT $3
"""
# The jsonb columns serve queries; they must say what the hashed canonical bytes say.
# OFFSET 0 keeps the planner from inlining `doc`, which would parse the bytes once per use.
COLUMNS_SQL = """
SELECT e.position, e.stream_id, e.version FROM events e
CROSS JOIN LATERAL (SELECT convert_from(e.canonical, 'UTF8')::jsonb AS doc OFFSET 0) c
WHERE c.doc->'data' IS DISTINCT FROM e.data
   OR c.doc->'metadata' IS DISTINCT FROM e.metadata
   OR c.doc->>'stream_id' IS DISTINCT FROM e.stream_id
   OR c.doc->>'type' IS DISTINCT FROM e.type
   OR c.doc->>'event_id' IS DISTINCT FROM e.event_id::text
   OR (c.doc->>'version')::bigint IS DISTINCT FROM e.version
   OR (c.doc->>'position')::bigint IS DISTINCT FROM e.position
   OR (c.doc->>'occurred_at')::timestamptz IS DISTINCT FROM e.occurred_at
   OR (c.doc->>'recorded_at')::timestamptz IS DISTINCT FROM e.recorded_at
ORDER BY e.position
"""

Progress = Callable[[str, int], Any]  # (what, total) -> an object with update(n) and close()


@dataclass
class Report:
    events: int = 0
    nodes: int = 0
    checkpoints: int = 0
    assessments: int = 0  # checked against the principals and grants of their time
    findings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


async def verify_ledger(conn: Any, key: VerifierKey | None, progress: Progress) -> Report:
    report = Report()
    size: int = await conn.fetchval(SIZE_SQL)
    head: int = await conn.fetchval("SELECT coalesce(max(position), 0) FROM events")
    await _verify_events(conn, size, head, report, progress("events", head))
    await _verify_columns(conn, report)
    # Levels 1 and up hold sum(size >> level) = size - popcount(size) nodes.
    await _verify_nodes(conn, size, report, progress("tree nodes", size - size.bit_count()))
    await _verify_checkpoints(conn, size, key, report)
    await _verify_authority(conn, report)
    return report


async def _verify_authority(conn: Any, report: Report) -> None:
    """Every assessment against the principals and grants the log held at its position."""
    check = AuthorityCheck()
    after = 0
    while rows := await conn.fetch(AUTHORITY_SQL, list(CHECKED_TYPES), after, PAGE):
        for position, canonical in rows:
            event = RecordedEvent(position, bytes(canonical))
            check.feed(position, event.stream_id, event.type, event.data, event.metadata)
            after = position
    report.assessments = check.assessments
    report.findings += check.findings


async def _verify_events(conn: Any, size: int, head: int, report: Report, bar: Any) -> None:
    after = 0
    while rows := await conn.fetch(EVENTS_SQL, after, PAGE):
        for position, stream_id, version, canonical, stored in rows:
            if position != after + 1:
                report.findings.append(f"events {after + 1}..{position - 1} are missing")
            after = position
            if position > size:
                continue  # not in the tree yet: the builder trails the log
            if stored is None or leaf_hash(canonical) != stored:
                report.findings.append(
                    f"event {position} (stream {stream_id}, version {version}):"
                    " its stored bytes no longer match its leaf in the tree"
                )
        report.events += len(rows)
        bar.update(len(rows))
    bar.close()
    if head < size:
        report.findings.append(f"the tree has {size} leaves but the log ends at {head}")


async def _verify_columns(conn: Any, report: Report) -> None:
    try:
        rows = await conn.fetch(COLUMNS_SQL)
    except Exception as e:  # noqa: BLE001 - bytes that are not JSON at all: report, go on
        report.findings.append(f"some event's stored bytes are not a JSON document: {e}")
        return
    for position, stream_id, version in rows:
        report.findings.append(
            f"event {position} (stream {stream_id}, version {version}):"
            " its columns disagree with its stored bytes"
        )


async def _read_level(conn: Any, level: int) -> list[tuple[int, bytes]]:
    out: list[tuple[int, bytes]] = []
    while rows := await conn.fetch(LEVEL_SQL, level, out[-1][0] + 1 if out else 0, PAGE * 5):
        out += [(r[0], bytes(r[1])) for r in rows]
    return out


async def _verify_nodes(conn: Any, size: int, report: Report, bar: Any) -> None:
    below = [h for _, h in await _read_level(conn, 0)]
    if len(below) != size:
        report.findings.append(f"level 0 has {len(below)} nodes, want {size}")
    level = 1
    while len(below) > 1:
        rows = await _read_level(conn, level)
        want = size >> level
        if [i for i, _ in rows] != list(range(want)):
            report.findings.append(f"level {level} has {len(rows)} nodes, want {want}")
        for index, stored in rows[:want]:
            if (
                2 * index + 1 < len(below)
                and node_hash(below[2 * index], below[2 * index + 1]) != stored
            ):
                report.findings.append(
                    f"tree node (level {level}, index {index}) does not match its children"
                )
        report.nodes += len(rows)
        bar.update(len(rows))
        below, level = [h for _, h in rows], level + 1
    bar.close()


async def _verify_checkpoints(
    conn: Any, size: int, key: VerifierKey | None, report: Report
) -> None:
    rows = await conn.fetch("SELECT tree_size, root_hash, note FROM checkpoints ORDER BY tree_size")
    if rows and key is None:
        report.findings.append(
            f"{len(rows)} checkpoint signature(s) unchecked: no key (PLEDGER_SIGNING_KEY or --key)"
        )
    for tree_size, root_hash, note in rows:
        report.checkpoints += 1
        problem = await _checkpoint_problem(conn, size, key, tree_size, bytes(root_hash), note)
        if problem:
            report.findings.append(f"checkpoint {tree_size}: {problem}")


async def _checkpoint_problem(
    conn: Any, size: int, key: VerifierKey | None, tree_size: int, root: bytes, note: str
) -> str | None:
    if tree_size > size:
        return f"beyond the tree (size {size})"
    nodes = await fetch_nodes(conn, range_nodes(0, tree_size))
    if len(nodes) != len(range_nodes(0, tree_size)) or range_hash(0, tree_size, nodes) != root:
        return "the stored tree no longer has this root"
    if key is None:
        return None
    try:
        head = open_checkpoint(note, key)
    except NoteError as e:
        return f"signature does not verify: {e}"
    if (head.tree_size, head.root_hash) != (tree_size, root):
        return "the signed note states another size or root than the row"
    return None
