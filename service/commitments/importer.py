"""Import a scenario file {parties, grants, principals, agreements, commitments, events}
through the write use cases (service/commitments/writes.py).

Every item is validated as a request body before anything is written (a malformed file writes
nothing); then items are written in file order through the API's handlers, each as one write
whose Idempotency-Key is the hash of the item's content, so importing the same file again
appends nothing. Each item is recorded as its party (`recorded_by`: a commitment's promisor, an
assessment's assessor, an event's explicit `recorded_by`) and marked `imported_by` the operator.
An event item whose content changed since it was imported (same `key`, or the same place among
its commitment's events of its type) is corrected and recorded anew. An item the ledger refuses
stops the import there: the items before it stay written, and importing again goes on.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from service.auth import importing
from service.auth.registry import MemoryRegistry, Registry
from service.commitments import writes
from service.domain import events as ev
from service.domain.commands import SLUG_PATTERN, parse_body
from service.domain.errors import AlreadyExists, DomainError, StreamNotFound, ValidationFailed
from service.domain.evidence import AGREEMENT, COMMITMENT, EVIDENCE, PARTY, RecordCorrection
from service.log.records import RecordedEvent, canonical_json
from service.store.ports import EventStore

SECTIONS = ("parties", "grants", "principals", "agreements", "commitments", "events")
SLUG = re.compile(SLUG_PATTERN)
ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "parties": PARTY,
    "grants": importing.GRANT,
    "principals": importing.PRINCIPAL,
    "agreements": AGREEMENT,
    "commitments": COMMITMENT,
}


class ImportFailed(Exception):
    """One line naming the item and what is wrong with it."""


@dataclass(frozen=True)
class Item:
    section: str
    index: int
    raw: dict[str, Any]
    body: Any  # the validated request body
    commitment: str | None = None  # for events: the commitment they belong to
    key: str | None = None  # for events: which item this is, across edits of the file
    recorded_by: str | None = None  # the party whose statement this is

    @property
    def label(self) -> str:
        name = self.commitment if self.section == "events" else self.raw.get("id")
        name = name or self.raw.get("party") or self.raw.get("name")
        return f"{self.section}[{self.index}] ({name})"

    @property
    def idempotency_key(self) -> str:
        return "import:" + hashlib.sha256(canonical_json(self.raw)).hexdigest()


@dataclass
class ImportReport:
    written: int = 0
    present: int = 0  # already in the ledger from an earlier import
    changed: list[str] = field(default_factory=list)  # corrected and recorded anew


def read_scenario(path: Path) -> list[Item]:
    """Parse and validate the whole file; ImportFailed names the first bad item."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ImportFailed(f"{path}: cannot read a JSON document: {e}") from None
    if not isinstance(document, dict):
        raise ImportFailed(f"{path}: expected a JSON object with {', '.join(SECTIONS)}")
    unknown = sorted(set(document) - set(SECTIONS))
    if unknown:
        raise ImportFailed(f"{path}: unknown section(s) {', '.join(unknown)}")
    items = []
    for section in SECTIONS:
        entries = document.get(section, [])
        if not isinstance(entries, list):
            raise ImportFailed(f"{section}: expected a list")
        items += [_item(section, i, raw) for i, raw in enumerate(entries)]
    return _keyed(items)


def _item(section: str, index: int, raw: object) -> Item:
    if not isinstance(raw, dict):
        raise ImportFailed(f"{section}[{index}]: expected a JSON object")
    label = f"{section}[{index}] ({raw.get('commitment' if section == 'events' else 'id')})"
    try:
        if section != "events":
            body = parse_body(ADAPTERS[section], raw)
            return Item(section, index, raw, body, recorded_by=getattr(body, "promisor", None))
        fields = dict(raw)
        commitment = fields.pop("commitment", None)
        key, recorded_by = fields.pop("key", None), fields.pop("recorded_by", None)
        if not isinstance(commitment, str) or not _is_slug(commitment):
            raise ValidationFailed("commitment", "an event needs the commitment id it belongs to")
        for name, value in (("key", key), ("recorded_by", recorded_by)):
            if value is not None and (not isinstance(value, str) or not _is_slug(value)):
                raise ValidationFailed(name, f"{name} must be an id like the commitment's")
        body = parse_body(EVIDENCE, fields)
        recorded_by = getattr(body, "assessor", None) or recorded_by
        return Item(section, index, raw, body, commitment, key, recorded_by)
    except DomainError as e:
        raise ImportFailed(describe(label, e)) from None


def _keyed(items: list[Item]) -> list[Item]:
    """Each event's identity across edits: its `key`, else its place among its commitment's
    events of its type (commitment/type/n)."""
    seen: dict[tuple[str | None, str], int] = {}
    out = []
    for item in items:
        if item.section == "events" and item.key is None:
            place = (item.commitment, item.body.type)
            seen[place] = seen.get(place, 0) + 1
            item = replace(item, key=f"{item.commitment}/{item.body.type}/{seen[place]}")
        out.append(item)
    return out


def _is_slug(value: str) -> bool:
    return SLUG.match(value) is not None


def describe(label: str, error: DomainError) -> str:
    field = error.fields.get("field")
    where = f" {field}:" if field else ""
    return f"{label}: {error.title.lower()}:{where} {error.detail}"


def _context(item: Item, operator: str, key: str | None = None) -> writes.Context:
    metadata = {"via": "import", "imported_by": operator, "recorded_by": item.recorded_by}
    if item.key is not None:
        metadata["import_item"] = item.key
    return writes.Context(key or item.idempotency_key, metadata)


async def write_item(store: EventStore, item: Item, operator: str) -> writes.Written:
    ctx = _context(item, operator)
    if item.section == "parties":
        return await writes.register_party(store, item.body, ctx)
    if item.section == "agreements":
        return await writes.record_agreement(store, item.body, ctx)
    if item.section == "commitments":
        return await writes.make_commitment(store, item.body, ctx)
    assert item.commitment is not None
    return await writes.record_evidence(store, item.commitment, item.body, ctx)


async def _earlier(store: EventStore, item: Item) -> RecordedEvent | None:
    """The uncorrected event an earlier import wrote for this item with other content."""
    assert item.commitment is not None
    try:
        stream = await store.read_stream(ev.commitment_stream(item.commitment))
    except StreamNotFound:
        return None
    corrected = {e.data["corrects"] for e in stream if e.type == ev.CORRECTION_RECORDED}
    return next(
        (
            e
            for e in reversed(stream)
            if e.metadata.get("import_item") == item.key
            and str(e.event_id) not in corrected
            and e.metadata.get("idempotency_key") != item.idempotency_key
        ),
        None,
    )


async def _correct(store: EventStore, item: Item, old: RecordedEvent, operator: str) -> None:
    assert item.commitment is not None
    reason = f"re-imported {item.label} with changed content"
    body = RecordCorrection(type="correction_recorded", corrects=str(old.event_id), reason=reason)
    ctx = _context(replace(item, key=None), operator, f"import-correct:{old.event_id}")
    await writes.record_evidence(store, item.commitment, body, ctx)


async def import_items(
    store: EventStore,
    items: list[Item],
    advance: Callable[[], None] = lambda: None,
    *,
    operator: str = "operator",
    registry: Registry | None = None,
) -> ImportReport:
    """Write the items in order; stop at the first one the ledger refuses (ImportFailed).
    Principals go to `registry` (a throwaway one when None: the memory store's case)."""
    registry = registry or MemoryRegistry()
    report = ImportReport()
    for item in items:
        try:
            if item.section in importing.SECTIONS:
                meta = {"via": "import", "imported_by": operator, "recorded_by": None}
                if await importing.apply(store, registry, item.body, meta):
                    report.written += 1
                else:
                    report.present += 1
                advance()
                continue
            old = await _earlier(store, item) if item.section == "events" else None
            if old is not None:
                await _correct(store, item, old, operator)
                report.changed.append(f"{item.label}: corrected event {old.event_id}")
            written = await write_item(store, item, operator)
        except AlreadyExists as e:
            detail = f"{e.detail}, with other content: it cannot be made again; record evidence"
            raise ImportFailed(f"{item.label}: changed since it was imported: {detail}") from None
        except DomainError as e:
            raise ImportFailed(describe(item.label, e)) from None
        if written.replayed:
            report.present += 1
        else:
            report.written += 1
        advance()
    return report
