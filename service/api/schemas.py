"""Response bodies: every JSON answer is serialised through one of these models, and the OpenAPI
document describes the same models, so what is sent and what is documented cannot differ."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from service.domain.commands import MakeCommitment, RecordAgreement, RegisterParty
from service.domain.status import AgreementTally, CommitmentStatus, Tally

Hex = Field(pattern="^[0-9a-f]{64}$")


class Answer(BaseModel):
    """Base of every response body: a field the model does not name is a bug (500 in tests)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Problem(BaseModel):
    """RFC 9457 problem details; errors add their structured fields (parameter, field, id ...)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str = Field(examples=["https://pledger.dev/problems/invalid-parameter"])
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    instance: str | None = None


class Health(Answer):
    status: str


class LedgerAlarm(Answer):
    alarm: str = Field(description="fork, signing_refused or checkpoint_overdue")
    detail: str
    since: str = Field(json_schema_extra={"format": "date-time"})


class LedgerHealth(Answer):
    status: str = Field(description="ok, or alarm while any alarm is raised")
    alarms: list[LedgerAlarm]


class Ready(Answer):
    status: str
    database: str | None = None
    pending_migrations: list[str] | None = None
    migrations: str | None = None  # why the migrations cannot be checked (a broken install)
    ledger: LedgerHealth | None = None


class Event(Answer):
    """An event: its canonical document plus leaf_hash (docs/ledger.md)."""

    position: int = Field(ge=1)
    event_id: str = Field(json_schema_extra={"format": "uuid"})
    stream_id: str
    version: int = Field(ge=1)
    type: str
    data: dict[str, Any]
    metadata: dict[str, Any]
    occurred_at: str = Field(json_schema_extra={"format": "date-time"})
    recorded_at: str = Field(json_schema_extra={"format": "date-time"})
    leaf_hash: str = Hex


class StreamPage(Answer):
    stream_id: str
    version: int
    events: list[Event]
    next_from_version: int | None


class EventsPage(Answer):
    events: list[Event]
    next: int = Field(description="the cursor for the following page (?after=)")


class CloudEvent(Answer):
    """One event as a structured CloudEvent 1.0 (docs/api.md, "CloudEvents")."""

    specversion: Literal["1.0"]
    id: str = Field(json_schema_extra={"format": "uuid"}, description="the event id")
    source: str = Field(description="the ledger's origin")
    type: str = Field(pattern=r"^org\.pledger\.", description="org.pledger.<event type>")
    subject: str = Field(description="the stream id")
    time: str = Field(json_schema_extra={"format": "date-time"}, description="occurred_at")
    datacontenttype: Literal["application/json"]
    position: str = Field(pattern="^[1-9][0-9]*$", description="the global position (digits)")
    recordedat: str = Field(json_schema_extra={"format": "date-time"}, description="recorded_at")
    data: dict[str, Any] = Field(description="the event's canonical document")


class CloudEventBatch(RootModel[list[CloudEvent]]):
    """A page of the log as application/cloudevents-batch+json, in position order."""


class Checkpoint(Answer):
    tree_size: int = Field(ge=1)
    root_hash: str = Hex
    signed_at: str = Field(json_schema_extra={"format": "date-time"})
    checkpoint: str = Field(description="C2SP tlog-checkpoint in a C2SP signed note (Ed25519)")


class CheckpointPage(Answer):
    checkpoints: list[Checkpoint]
    next: int | None


class LedgerKey(Answer):
    name: str
    key_id: str
    algorithm: str
    verifier_key: str = Field(description="<name>+<key id>+<base64(0x01 || Ed25519 key)>")
    origin: str


class InclusionProof(Answer):
    position: int = Field(ge=1)
    leaf_index: int = Field(ge=0)
    tree_size: int = Field(ge=1)
    leaf_hash: str = Hex
    root_hash: str = Hex
    audit_path: list[str]


class ConsistencyProof(Answer):
    first: int = Field(ge=1)
    second: int = Field(ge=1)
    first_root: str = Hex
    second_root: str = Hex
    proof: list[str]


class Written(Answer):
    """Where a write landed. A retry with the same Idempotency-Key gets the original body again
    (header Idempotent-Replayed: true) and appends nothing."""

    event_id: str = Field(json_schema_extra={"format": "uuid"})
    stream_id: str
    type: str
    version: int = Field(ge=1)
    position: int = Field(ge=1)


class Created(Written):
    id: str


class Recorded(Written):
    commitment: str


class PartyRecorded(Written):
    party: str


class Entry(BaseModel):
    """Where and when the ledger recorded an entity's creation."""

    event_id: str = Field(json_schema_extra={"format": "uuid"})
    position: int = Field(ge=1)
    recorded_at: str = Field(json_schema_extra={"format": "date-time"})


# The entities as created are their creation bodies, re-read from the log (not strict: the
# log holds JSON), plus the entry fields.
_READ = ConfigDict(extra="forbid", frozen=True, strict=False)


class Party(RegisterParty, Entry):
    model_config = _READ


class Agreement(RecordAgreement, Entry):
    model_config = _READ


class Commitment(MakeCommitment, Entry):
    model_config = _READ

    version: int = Field(ge=1, description="the stream version, also the ETag")
    status: CommitmentStatus | None


class PartyPage(Answer):
    parties: list[Party]
    next: int | None


class AgreementPage(Answer):
    agreements: list[Agreement]
    next: int | None


class CommitmentLine(Answer):
    """A commitment's line in a list or a compliance answer."""

    id: str
    promisor: str
    promisees: list[str]
    agreement: str | None
    verdict: str
    basis: str
    disputed: bool
    schedule: str
    due_by: str | None = Field(json_schema_extra={"format": "date-time"})
    last_position: int


class CommitmentPage(Answer):
    as_of: str = Field(json_schema_extra={"format": "date-time"})
    known_at: str = Field(json_schema_extra={"format": "date-time"})
    commitments: list[CommitmentLine]
    next: str | None = Field(description="the cursor for ?after= (a commitment id)")


class _Listed(BaseModel):
    as_of: str = Field(json_schema_extra={"format": "date-time"})
    known_at: str = Field(json_schema_extra={"format": "date-time"})
    commitments: list[CommitmentLine]
    next: str | None = Field(description="GET /v1/commitments URL of the rest of the list")


class PartyCompliance(Tally, _Listed):
    party: str


class AgreementCompliance(AgreementTally, _Listed):
    agreement: str


class HistoryEntry(Answer):
    position: int
    version: int
    event_id: str
    type: str
    occurred_at: str = Field(json_schema_extra={"format": "date-time"})
    recorded_at: str = Field(json_schema_extra={"format": "date-time"})
    corrected: bool
    corrected_by: str | None
    data: dict[str, Any]
    metadata: dict[str, Any]


class History(Answer):
    commitment: str
    known_at: str = Field(json_schema_extra={"format": "date-time"})
    events: list[HistoryEntry]
