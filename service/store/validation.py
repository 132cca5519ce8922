"""Checks every store applies to an append before it reaches the writer."""

from __future__ import annotations

import re
from collections.abc import Sequence

from service.domain.errors import ValidationFailed
from service.log.jcs import CanonicalFormError
from service.log.records import NewEvent, canonical_json, format_time
from service.store.ports import ExpectedVersion

STREAM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}$")
EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
NAMED_EXPECTATIONS = ("no_stream", "stream_exists", "any")
MAX_VERSION = 2**31 - 1  # versions are PostgreSQL integers


Rendered = tuple[str, str]  # canonical JSON of an event's data and metadata


def validate_append(
    stream_id: str, events: Sequence[NewEvent], expected_version: ExpectedVersion
) -> list[Rendered]:
    """Refuse a malformed append; return each event's data and metadata rendered canonically."""
    if not STREAM_ID.match(stream_id):
        raise ValidationFailed("stream_id", f"invalid stream id {stream_id!r}")
    if isinstance(expected_version, bool) or not (
        (isinstance(expected_version, int) and 0 <= expected_version <= MAX_VERSION)
        or expected_version in NAMED_EXPECTATIONS
    ):
        raise ValidationFailed("expected_version", f"invalid expected version {expected_version!r}")
    if not events:
        raise ValidationFailed("events", "an append needs at least one event")
    if len({e.event_id for e in events}) != len(events):
        raise ValidationFailed("event_id", "the same event id appears twice in one append")
    return [_validate_event(event) for event in events]


def _validate_event(event: NewEvent) -> Rendered:
    if not EVENT_TYPE.match(event.type):
        raise ValidationFailed("type", f"invalid event type {event.type!r} (snake_case)")
    if event.occurred_at.tzinfo is None:
        raise ValidationFailed("occurred_at", "occurred_at must be timezone-aware")
    try:
        format_time(event.occurred_at)
    except OverflowError:
        raise ValidationFailed("occurred_at", "occurred_at is out of range in UTC") from None
    rendered: list[str] = []
    for name, value in (("data", event.data), ("metadata", event.metadata)):
        if not isinstance(value, dict):
            raise ValidationFailed(name, f"{name} must be a JSON object")
        try:
            text = canonical_json(value).decode("utf-8")
        except CanonicalFormError as e:
            field = f"{name}.{e.path}" if e.path else name
            raise ValidationFailed(field, f"{field}: {e.problem}") from None
        except (TypeError, ValueError) as e:
            raise ValidationFailed(name, f"{name} is not plain JSON: {e}") from e
        if "\\u0000" in text and NUL_ESCAPE.search(text):
            raise ValidationFailed(name, f"{name} contains a NUL character, which is not stored")
        rendered.append(text)
    return rendered[0], rendered[1]


# A NUL character renders as \u0000; an escaped backslash before "u0000" is text, not NUL.
NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
