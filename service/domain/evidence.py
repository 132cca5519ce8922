"""Request bodies of POST /v1/commitments/{id}/events, told apart by `type`."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, field_validator

from service.domain.commands import (
    Body,
    MakeCommitment,
    Number,
    RecordAgreement,
    RegisterParty,
    Slug,
    Source,
    Text,
)
from service.domain.events import AssessedVerdict, Strength
from service.domain.timeparse import EndTime, StartTime


class RecordAssessment(Body):
    type: Literal["assessment_recorded"]
    assessor: Slug
    verdict: AssessedVerdict
    strength: Strength
    occurred_at: StartTime
    effective_at: StartTime | None = None  # defaults to occurred_at; never after it
    note: Text | None = None
    level: Annotated[int, Field(ge=0, le=3)] | None = None
    measure_value: Number | None = None
    source: Source

    def to_data(self) -> dict[str, Any]:
        data = super().to_data()
        data["effective_at"] = data.get("effective_at", data["occurred_at"])
        return data


class ResolveCondition(Body):
    type: Literal["condition_met", "condition_failed", "condition_waived"]
    condition: Slug
    occurred_at: StartTime
    source: Source


class ChangeDeadline(Body):
    type: Literal["deadline_changed"]
    due_by: EndTime
    occurred_at: StartTime
    source: Source
    note: Text | None = None


class Supersede(Body):
    type: Literal["superseded"]
    by: Slug
    occurred_at: StartTime
    source: Source


class Withdraw(Body):
    type: Literal["withdrawn"]
    occurred_at: StartTime
    source: Source
    note: Text | None = None


class AgreeChange(Body):
    """A promisee agrees to a relief event its promisor wrote (rules v2, R2)."""

    type: Literal["change_agreed"]
    agrees: str
    occurred_at: StartTime
    source: Source
    note: Text | None = None

    @field_validator("agrees")
    @classmethod
    def _uuid(cls, value: str) -> str:
        return _event_id(value)


class RecordCorrection(Body):
    type: Literal["correction_recorded"]
    corrects: str
    reason: Text

    @field_validator("corrects")
    @classmethod
    def _uuid(cls, value: str) -> str:
        return _event_id(value)


def _event_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValueError("must be an event_id (a UUID)") from None


class DissolveParty(Body):
    """On a party stream: the party ceases to exist (rules v2, R5)."""

    type: Literal["party_dissolved"]
    occurred_at: StartTime
    source: Source
    note: Text | None = None


Evidence = Annotated[
    RecordAssessment
    | ResolveCondition
    | ChangeDeadline
    | Supersede
    | Withdraw
    | AgreeChange
    | RecordCorrection,
    Field(discriminator="type"),
]
# Evidence bodies with a valid-time `occurred_at` (all but corrections, which occur when recorded).
Dated = RecordAssessment | ResolveCondition | ChangeDeadline | Supersede | Withdraw | AgreeChange
# Bodies of POST /v1/parties/{id}/events.
PartyEvent = Annotated[DissolveParty | RecordCorrection, Field(discriminator="type")]

EVIDENCE: TypeAdapter[Evidence] = TypeAdapter(Evidence)
PARTY_EVENT: TypeAdapter[PartyEvent] = TypeAdapter(PartyEvent)
PARTY: TypeAdapter[RegisterParty] = TypeAdapter(RegisterParty)
AGREEMENT: TypeAdapter[RecordAgreement] = TypeAdapter(RecordAgreement)
COMMITMENT: TypeAdapter[MakeCommitment] = TypeAdapter(MakeCommitment)
