"""Import a scenario file {parties, agreements, commitments, events} through the write use cases
(service/commitments/writes.py).

Every item is validated as a request body before anything is written (a malformed file writes
nothing); then items are written in file order, each as one write whose Idempotency-Key is the
hash of the item's content, so importing the same file again appends nothing. An item the
ledger refuses (an unknown id, an id taken by another body, a date before made_at) stops the
import there: the items before it stay written, and fixing the file and importing again goes on
from where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from service.commitments import writes
from service.domain.commands import SLUG_PATTERN, parse_body
from service.domain.errors import DomainError, ValidationFailed
from service.domain.evidence import AGREEMENT, COMMITMENT, EVIDENCE, PARTY
from service.log.records import canonical_json
from service.store.ports import EventStore

SECTIONS = ("parties", "agreements", "commitments", "events")
SLUG = re.compile(SLUG_PATTERN)
ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "parties": PARTY,
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

    @property
    def label(self) -> str:
        name = self.commitment if self.section == "events" else self.raw.get("id")
        return f"{self.section}[{self.index}] ({name})"

    @property
    def idempotency_key(self) -> str:
        return "import:" + hashlib.sha256(canonical_json(self.raw)).hexdigest()


@dataclass
class ImportReport:
    written: int = 0
    present: int = 0  # already in the ledger from an earlier import


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
    return items


def _item(section: str, index: int, raw: object) -> Item:
    if not isinstance(raw, dict):
        raise ImportFailed(f"{section}[{index}]: expected a JSON object")
    label = f"{section}[{index}] ({raw.get('commitment' if section == 'events' else 'id')})"
    try:
        if section != "events":
            return Item(section, index, raw, parse_body(ADAPTERS[section], raw))
        fields = dict(raw)
        commitment = fields.pop("commitment", None)
        if not isinstance(commitment, str) or not _is_slug(commitment):
            raise ValidationFailed("commitment", "an event needs the commitment id it belongs to")
        return Item(section, index, raw, parse_body(EVIDENCE, fields), commitment)
    except DomainError as e:
        raise ImportFailed(describe(label, e)) from None


def _is_slug(value: str) -> bool:
    return SLUG.match(value) is not None


def describe(label: str, error: DomainError) -> str:
    field = error.fields.get("field")
    where = f" {field}:" if field else ""
    return f"{label}: {error.title.lower()}:{where} {error.detail}"


async def write_item(store: EventStore, item: Item) -> writes.Written:
    ctx = writes.Context(item.idempotency_key, {"via": "import"})
    if item.section == "parties":
        return await writes.register_party(store, item.body, ctx)
    if item.section == "agreements":
        return await writes.record_agreement(store, item.body, ctx)
    if item.section == "commitments":
        return await writes.make_commitment(store, item.body, ctx)
    assert item.commitment is not None
    return await writes.record_evidence(store, item.commitment, item.body, ctx)


async def import_items(
    store: EventStore, items: list[Item], advance: Callable[[], None] = lambda: None
) -> ImportReport:
    """Write the items in order; stop at the first one the ledger refuses (ImportFailed)."""
    report = ImportReport()
    for item in items:
        try:
            written = await write_item(store, item)
        except DomainError as e:
            raise ImportFailed(describe(item.label, e)) from None
        if written.replayed:
            report.present += 1
        else:
            report.written += 1
        advance()
    return report
