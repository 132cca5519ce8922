"""The read models the compliance rules produce: a commitment's status and the tallies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer

from service.domain.events import (
    AssessedVerdict,
    Basis,
    ClosureType,
    ConditionState,
    Schedule,
    Strength,
    Verdict,
)
from service.log.records import format_time

Time = Annotated[datetime, PlainSerializer(format_time, return_type=str, when_used="json")]


class View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_json(self) -> dict[str, Any]:
        """JSON types only; times canonical ("YYYY-MM-DDTHH:MM:SS.ffffffZ")."""
        return self.model_dump(mode="json")


class AssessmentView(View):
    """An assessor's latest effective assessment. `strength` is the counted one (R1: the
    promisor's own assessment counts as `claimed`); `stated_strength` is what it says."""

    event_id: str
    position: int
    assessor: str
    recorded_by: str | None  # the writing party; None on a legacy event
    verdict: AssessedVerdict
    strength: Strength
    stated_strength: Strength
    self_assessment: bool  # its assessor is the commitment's promisor
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


class RequestView(View):
    """A relief event by the promisor that does not bind (R2): shown, and changes nothing."""

    event_id: str
    type: str
    recorded_by: str | None
    due_by: Time | None = None  # deadline_changed
    by: str | None = None  # superseded
    condition: str | None = None  # condition_failed


class ClosureView(View):
    """What ended the promisor's duty (R4), shown even when an earlier fulfilment stands."""

    type: ClosureType
    event_id: str
    at: Time


class CommitmentStatus(View):
    """The answer of the rules (v2) for one commitment at (as_of, known_at)."""

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
    basis: Basis  # R7: what the verdict (and a met schedule) rests on
    disputed: bool
    schedule: Schedule
    due_by: Time | None
    requested_due_by: Time | None  # the latest deadline change the promisees have not agreed to
    requests: list[RequestView]  # relief by the promisor alone, in point order
    closure: ClosureView | None
    measure_met: bool | None  # the giving assessment's measure_value against the measure
    assessments: list[AssessmentView]  # one per assessor, ordered by assessor id
    conditions: list[ConditionView]  # in the commitment's order
    event_count: int  # events known at known_at (recorded_at <= K), corrections included
    last_position: int  # greatest position among them


class Tally(View):
    """Counts over commitments that exist at (as_of, known_at)."""

    total: int
    verdicts: dict[str, int]  # every verdict, zeros included
    schedules: dict[str, int]  # every schedule value, zeros included
    bases: dict[str, int]  # every basis, zeros included
    kept_ratio: float | None  # R9: over the commitments whose basis is independent
    unverified_outcomes: int  # fulfilled, partially_fulfilled or breached on a claim only


class AgreementTally(View):
    overall: Tally
    promisors: dict[str, Tally]


class TimelineEntry(View):
    """One known event of a commitment and the status right after it (for `pledger replay`);
    or a moment the clock alone changed the status (type `deadline_passed`: no event, no
    position, nothing recorded)."""

    position: int | None
    event_id: str | None
    type: str
    occurred_at: Time
    recorded_at: Time | None
    recorded_by: str | None = None  # the writing party (None: legacy or administrator)
    corrected: bool  # named by a correction known at known_at: shown, never applied
    data: dict[str, Any]
    status: CommitmentStatus | None
