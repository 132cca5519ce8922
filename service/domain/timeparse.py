"""Parse API times: a bare date starts or ends its day (by field); timestamps need an offset."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from typing import Annotated, Literal

from pydantic import BeforeValidator, PlainSerializer

from service.domain.errors import InvalidParameter
from service.log.records import format_time

BARE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
Edge = Literal["start", "end"]
END_OF_DAY = time(23, 59, 59, 999999)


def parse_time(text: str, edge: Edge) -> datetime:
    """A date ('2021-05-01') or an ISO 8601 timestamp with an offset, as an aware UTC datetime.

    edge="start": a bare date means its first microsecond (occurred_at, made_at, signed_at,
    effective_at, published_at); edge="end": its last microsecond (due_by, as_of, known_at).
    Raises ValueError with a message fit for a client.
    """
    if BARE_DATE.match(text):
        try:
            day = datetime.strptime(text, "%Y-%m-%d").date()
        except ValueError:
            raise ValueError(f"{text!r} is not a valid date") from None
        return datetime.combine(day, time.min if edge == "start" else END_OF_DAY, tzinfo=UTC)
    if not TIMESTAMP.match(text):
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD) or an ISO 8601 timestamp")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a valid ISO 8601 timestamp") from None
    if value.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no UTC offset: add 'Z' or '+hh:mm'")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"timestamp {text!r} is out of range") from None


def parse_query_time(parameter: str, text: str | None, now: datetime) -> datetime:
    """A query time (as_of, known_at): absent means `now`; a bare date means the end of that day."""
    if text is None:
        return now
    try:
        return parse_time(text, "end")
    except ValueError as error:
        raise InvalidParameter(parameter, str(error)) from None


def _validator(edge: Edge) -> BeforeValidator:
    def validate(value: object) -> datetime:
        if not isinstance(value, str):
            raise ValueError("must be a date (YYYY-MM-DD) or an ISO 8601 timestamp string")
        return parse_time(value, edge)

    return BeforeValidator(validate)


_CANONICAL = PlainSerializer(format_time, return_type=str, when_used="json")

# Body fields: parsed per their bare-date meaning, dumped (mode="json") in the canonical form.
StartTime = Annotated[datetime, _validator("start"), _CANONICAL]
EndTime = Annotated[datetime, _validator("end"), _CANONICAL]
