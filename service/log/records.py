"""The generic event records that the store writes and reads, and their canonical bytes.

Pure: no I/O. The canonical bytes (RFC 8785, JCS) are what the ledger hashes (docs/ledger.md).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Generic, TypeVar, overload

# Re-exported: callers render values the way the log renders them.
from service.log.jcs import SAFE_INTEGER
from service.log.jcs import canonical_json as canonical_json

T = TypeVar("T")

LEAF_PREFIX = b"\x00"


def format_time(value: datetime) -> str:
    """Render a timestamp the one way the canonical form allows: UTC, microseconds, 'Z'."""
    if value.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    v = value.astimezone(UTC)
    return (
        f"{v.year:04d}-{v.month:02d}-{v.day:02d}T"
        f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond:06d}Z"
    )


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


# The canonical bytes are UTF-8 JSON without leading white space: raw_decode spares json.loads'
# encoding detection and trailing-space check, a fifth of the cost of decoding a small event.
# An integer beyond 2^53 in them is an integral double JCS wrote (jcs.is_jcs_integer): it is
# read back as that double, as any JSON reader that follows RFC 8785 reads it.
def _integer(text: str) -> int | float:
    value = int(text)
    return value if len(text) < 16 or -SAFE_INTEGER <= value <= SAFE_INTEGER else float(value)


_DECODER = json.JSONDecoder(parse_int=_integer)


def leaf_hash(canonical: bytes) -> bytes:
    """RFC 6962 leaf hash of an event's canonical bytes."""
    return hashlib.sha256(LEAF_PREFIX + canonical).digest()


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event a caller asks to append; the store assigns version, position and recorded_at."""

    type: str
    data: dict[str, Any]
    occurred_at: datetime
    metadata: dict[str, Any] = field(default_factory=dict)
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)

    def same_content(self, other: RecordedEvent) -> bool:
        """Whether a stored event is a retry of this one (metadata may differ between retries)."""
        return (
            self.type == other.type
            and canonical_json(self.data) == canonical_json(other.data)
            and format_time(self.occurred_at) == format_time(other.occurred_at)
        )


def canonical_parts(
    event: NewEvent,
    *,
    stream_id: str,
    data_json: str | None = None,
    metadata_json: str | None = None,
) -> tuple[str, str]:
    """The canonical document split around the values only the store knows.

    Keys sort as data, event_id, metadata, occurred_at, position, recorded_at, stream_id, type,
    version, so the document is: part_a + position + ',"recorded_at":"' + recorded_at + part_c
    + version + '}'. The PostgreSQL store assembles it so in SQL (schema/001_events.sql).
    data_json and metadata_json, when given, are canonical_json() of data and metadata already
    rendered (so that an append renders each only once).
    """
    if data_json is None:
        data_json = canonical_json(event.data).decode("utf-8")
    if metadata_json is None:
        metadata_json = canonical_json(event.metadata).decode("utf-8")
    part_a = (
        f'{{"data":{data_json},"event_id":"{event.event_id}","metadata":{metadata_json},'
        f'"occurred_at":"{format_time(event.occurred_at)}","position":'
    )
    part_c = f'","stream_id":{_string(stream_id)},"type":{_string(event.type)},"version":'
    return part_a, part_c


def _string(value: str) -> str:
    """A JSON string as JCS writes it (json.dumps escapes exactly what RFC 8785 escapes)."""
    return json.dumps(value, ensure_ascii=False)


def assemble_canonical(
    parts: tuple[str, str], *, position: int, recorded_at: datetime, version: int
) -> bytes:
    part_a, part_c = parts
    text = f'{part_a}{position},"recorded_at":"{format_time(recorded_at)}{part_c}{version}}}'
    return text.encode("utf-8")


def render_canonical(
    event: NewEvent, *, stream_id: str, version: int, position: int, recorded_at: datetime
) -> bytes:
    parts = canonical_parts(event, stream_id=stream_id)
    return assemble_canonical(parts, position=position, recorded_at=recorded_at, version=version)


class _Decoded(Generic[T]):
    """A field of the canonical document: the first read of any such field decodes them all
    into the instance's __dict__, where later reads find them without a call (faster than
    functools.cached_property, which takes a lock on Python 3.11, once per field)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _Decoded[T]: ...
    @overload
    def __get__(self, obj: RecordedEvent, owner: type | None = None) -> T: ...
    def __get__(self, obj: RecordedEvent | None, owner: type | None = None) -> T | _Decoded[T]:
        if obj is None:
            return self
        obj._decode()
        value: T = obj.__dict__[self._name]
        return value


class RecordedEvent:
    """A stored event, decoded lazily from its canonical bytes (the only source of its fields)."""

    __slots__ = ("position", "canonical", "__dict__")

    def __init__(self, position: int, canonical: bytes) -> None:
        self.position = position
        self.canonical = canonical

    _doc: _Decoded[dict[str, Any]] = _Decoded()
    type: _Decoded[str] = _Decoded()
    data: _Decoded[dict[str, Any]] = _Decoded()
    occurred_at: _Decoded[datetime] = _Decoded()
    recorded_at: _Decoded[datetime] = _Decoded()

    def _decode(self) -> None:
        doc = _DECODER.raw_decode(self.canonical.decode("utf-8"))[0]
        self.__dict__.update(
            _doc=doc,
            type=doc["type"],
            data=doc["data"],
            occurred_at=parse_time(doc["occurred_at"]),
            recorded_at=parse_time(doc["recorded_at"]),
        )

    @property
    def event_id(self) -> uuid.UUID:
        return uuid.UUID(self._doc["event_id"])

    @property
    def stream_id(self) -> str:
        return str(self._doc["stream_id"])

    @property
    def version(self) -> int:
        return int(self._doc["version"])

    @property
    def metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = self._doc["metadata"]
        return metadata

    @cached_property
    def leaf_hash(self) -> bytes:
        return leaf_hash(self.canonical)

    def to_json(self) -> dict[str, Any]:
        """The event as the API returns it: the canonical document plus its leaf hash."""
        return {**self._doc, "leaf_hash": self.leaf_hash.hex()}

    def __repr__(self) -> str:
        return (
            f"RecordedEvent(position={self.position}, stream_id={self.stream_id!r},"
            f" type={self.type!r})"
        )
