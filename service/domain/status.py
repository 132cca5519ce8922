"""The read models the compliance rules produce: a commitment's status and the tallies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer

from service.domain.events import AssessedVerdict, ConditionState, Schedule, Strength, Verdict
from service.log.records import format_time

Time = Annotated[datetime, PlainSerializer(format_time, return_type=str, when_used="json")]


class View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_json(self) -> dict[str, Any]:
        """JSON types only; times canonical ("YYYY-MM-DDTHH:MM:SS.ffffffZ")."""
        return self.model_dump(mode="json")


class AssessmentView(View):
    """An assessor's latest effective assessment."""

    event_id: str
    position: int
    assessor: str
    verdict: AssessedVerdict
    strength: Strength
    occurred_at: Time
    effective_at: Time
    recorded_at: Time
    note: str | None = None
    level: int | None = None
    measure_value: float | None = None
    source: dict[str, Any]


class ConditionView(View):
    """A condition's state; `commitment_verdict` is the linked commitment's, for information."""

    id: str
    text: str
    state: ConditionState
    event_id: str | None = None  # the met/failed/waived event that set the state
    commitment: str | None = None
    commitment_verdict: Verdict | None = None


class CommitmentStatus(View):
    """The answer of rules 1-7 for one commitment at (as_of, known_at)."""

    commitment: str
    promisor: str
    promisees: list[str]
    agreement: str | None
    text: str
    made_at: Time
    as_of: Time
    known_at: Time
    verdict: Verdict
    decided_by: str | None  # event_id of the assessment or closing event behind the verdict
    disputed: bool
    schedule: Schedule
    due_by: Time | None
    assessments: list[AssessmentView]  # one per assessor, ordered by assessor id
    conditions: list[ConditionView]  # in the commitment's order
    event_count: int  # events known at known_at (recorded_at <= K), corrections included
    last_position: int  # greatest position among them


class Tally(View):
    """Counts over commitments that exist at (as_of, known_at)."""

    total: int
    verdicts: dict[str, int]  # every verdict, zeros included
    schedules: dict[str, int]  # every schedule value, zeros included
    kept_ratio: float | None  # (fulfilled + 0.5 partially) / (fulfilled + partially + breached)


class AgreementTally(View):
    overall: Tally
    promisors: dict[str, Tally]


class TimelineEntry(View):
    """One known event of a commitment and the status right after it (for `pledger replay`)."""

    position: int
    event_id: str
    type: str
    occurred_at: Time
    recorded_at: Time
    corrected: bool  # named by a correction known at known_at: shown, never applied
    data: dict[str, Any]
    status: CommitmentStatus | None
