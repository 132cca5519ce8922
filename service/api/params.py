"""Query and path parameters as models: the route table validates every request with them (an
unknown or malformed parameter is a 400 naming it) and documents them from the same models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from service.domain.events import Basis, Schedule, Verdict
from service.domain.timeparse import EndTime

MAX_POSITION = 2**63 - 1  # positions are PostgreSQL bigints
MAX_VERSION = 2**31 - 1  # stream versions are integers
MAX_TREE_SIZE = 2**62
MAX_WAIT = 30  # seconds a read with min_position may wait
LIMIT_MAX = 1000  # the page size bound the document states; Settings may lower it

Position = Annotated[int, Field(ge=0, le=MAX_POSITION)]
# No C0 control character or DEL (service/api/guards.py refuses them anywhere in a URL).
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
Word = Annotated[str, Field(pattern=NO_CONTROL)]
TreeSize = Annotated[int, Field(ge=1, le=MAX_TREE_SIZE)]
QueryTime = Annotated[
    EndTime,
    WithJsonSchema(
        {
            "type": "string",
            "description": "YYYY-MM-DD (the end of that day) or an ISO 8601 time with offset",
            "anyOf": [{"format": "date"}, {"format": "date-time"}],
        }
    ),
]


class Params(BaseModel):
    """Base of every parameter model: unknown parameters are refused, types are parsed from
    the query string (lax), and `list` fields take repeated or comma-separated values."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoParams(Params):
    pass


class Page(Params):
    limit: int | None = Field(None, ge=1, le=LIMIT_MAX, description="page size")


class EventsParams(Page):
    after: Position = Field(0, description="return events after this position")
    type: list[Word] | None = Field(None, description="event types, repeated or comma-separated")


class LiveParams(Params):
    after: Position = Field(0, description="start after this position (Last-Event-ID wins)")
    type: list[Word] | None = Field(None, description="event types, repeated or comma-separated")
    format: Literal["json", "cloudevents"] = Field(
        "json",
        description="cloudevents: each data: is a structured CloudEvent (as is Accept:"
        " application/cloudevents+json), for clients such as EventSource that set no headers",
    )


class StreamParams(Page):
    from_version: int | None = Field(
        None, ge=1, le=MAX_VERSION, description="first version to return"
    )
    direction: Literal["forward", "backward"] = "forward"


class EntityPage(Page):
    after: Position = Field(0, description="cursor: the previous page's `next` (a position)")


class CheckpointParams(Page):
    after_size: int = Field(0, ge=0, le=MAX_TREE_SIZE, description="exclusive lower bound")


class ProofParams(Params):
    tree_size: TreeSize | None = Field(
        None, description="default: the current tree size; at least the position (else 400)"
    )


class ConsistencyParams(Params):
    first: TreeSize = Field(description="the older tree size; at most `second` (else 400)")
    second: TreeSize | None = Field(None, description="the newer tree size; default: current")


class PositionPath(Params):
    position: TreeSize


class StatusParams(Params):
    as_of: QueryTime | None = Field(None, description="valid time V (default now)")
    known_at: QueryTime | None = Field(None, description="transaction time K (default now)")


class HistoryParams(Params):
    known_at: QueryTime | None = Field(None, description="transaction time K (default now)")


class ReadSideParams(StatusParams, Page):
    min_position: Position = Field(
        0,
        description="wait until the read side has passed this position (a write's `position`);"
        " 503 if not within `wait` seconds",
    )
    wait: int = Field(5, ge=0, le=MAX_WAIT, description="seconds to wait for min_position")


class CommitmentParams(ReadSideParams):
    promisor: Word | None = Field(None, description="only commitments this party made")
    promisee: Word | None = Field(None, description="only commitments made to this party")
    agreement: Word | None = Field(None, description="only commitments under this agreement")
    verdict: Verdict | None = Field(None, description="only this verdict")
    basis: Basis | None = Field(None, description="only verdicts on this basis (rules v2, R7)")
    schedule: Schedule | None = Field(None, description="only this schedule")
    after: Word | None = Field(None, description="cursor: the previous page's `next` (an id)")
