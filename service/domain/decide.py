"""Pure command side: a stream's events and a validated body in, the event to append out.

Each function checks what it can see (its own stream and the body) and raises a DomainError
otherwise. What needs other streams is the handler's job, told by `references()`:

    body = parse_body(EVIDENCE, json_body)                # 422 naming the field
    for ref in references(body, commitment_id):           # every id the body names elsewhere
        if await store.stream_version(ref.stream_id) == 0:
            raise ref.missing()                           # 422 naming the field
    stream = await store.read_stream(...)                 # [] when absent -> 404 below
    event = record_evidence(commitment_id, stream, body, now=now)
    await store.append(commitment_stream(commitment_id), [event], expected_version=len(stream))

Keyword arguments after the command (`event_id=`, `metadata=`) go to the NewEvent unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from service.domain import events as ev
from service.domain.commands import MakeCommitment, RecordAgreement, RegisterParty
from service.domain.compliance import COMPARATORS
from service.domain.errors import (
    AlreadyAgreed,
    AlreadyDissolved,
    AlreadyExists,
    EntityNotFound,
    ValidationFailed,
)
from service.domain.evidence import (
    AgreeChange,
    ChangeDeadline,
    Dated,
    Evidence,
    PartyEvent,
    RecordAssessment,
    RecordCorrection,
    ResolveCondition,
    Supersede,
)
from service.domain.relief import writer
from service.log.records import NewEvent, RecordedEvent, parse_time

# How far ahead of the ledger's clock a caller's time may be (its clock may run a little fast):
# past that, an event "occurring" later than it is recorded is refused (docs/api.md).
CLOCK_SKEW = timedelta(minutes=5)
Kind = Literal["party", "agreement", "commitment"]
Command = RegisterParty | RecordAgreement | MakeCommitment | Evidence | PartyEvent
STREAM_OF = {"party": ev.party_stream, "agreement": ev.agreement_stream}


@dataclass(frozen=True, slots=True)
class Reference:
    """An id a body names in another stream; the handler checks that this stream exists."""

    field: str  # dotted path in the body: "promisees.1", "conditions.0.commitment", "by"
    kind: Kind
    id: str

    @property
    def stream_id(self) -> str:
        return STREAM_OF.get(self.kind, ev.commitment_stream)(self.id)

    def missing(self) -> ValidationFailed:
        return ValidationFailed(self.field, f"{self.kind} {self.id!r} does not exist")


def references(command: Command) -> list[Reference]:
    """Every other-stream id the body names (rule 8: unknown party/agreement/commitment -> 422)."""
    if isinstance(command, RecordAgreement):
        return [Reference(f"parties.{i}", "party", p) for i, p in enumerate(command.parties)]
    if isinstance(command, MakeCommitment):
        refs = [Reference("promisor", "party", command.promisor)]
        refs += [Reference(f"promisees.{i}", "party", p) for i, p in enumerate(command.promisees)]
        if command.agreement is not None:
            refs.append(Reference("agreement", "agreement", command.agreement))
        for i, condition in enumerate(command.conditions or []):
            if condition.commitment is not None:
                field = f"conditions.{i}.commitment"
                refs.append(Reference(field, "commitment", condition.commitment))
        return refs
    if isinstance(command, RecordAssessment):
        return [Reference("assessor", "party", command.assessor)]
    if isinstance(command, Supersede):
        return [Reference("by", "commitment", command.by)]
    return []


def register_party(
    existing: Sequence[RecordedEvent], command: RegisterParty, *, now: datetime, **envelope: Any
) -> NewEvent:
    """party_registered, occurring `now`. AlreadyExists (409) when the stream has events."""
    _must_be_new(existing, "party", command.id)
    return NewEvent(ev.PARTY_REGISTERED, command.to_data(), now, **envelope)


def record_agreement(
    existing: Sequence[RecordedEvent], command: RecordAgreement, *, now: datetime, **envelope: Any
) -> NewEvent:
    """agreement_recorded, occurring at signed_at (or `now` when unsigned)."""
    _must_be_new(existing, "agreement", command.id)
    _not_ahead("signed_at", command.signed_at, now)
    occurred_at = command.signed_at or now
    return NewEvent(ev.AGREEMENT_RECORDED, command.to_data(), occurred_at, **envelope)


def make_commitment(
    existing: Sequence[RecordedEvent], command: MakeCommitment, **envelope: Any
) -> NewEvent:
    """commitment_made, occurring at made_at. 422 when due_by < made_at or a condition links to
    the commitment itself; 409 when the stream has events."""
    _must_be_new(existing, "commitment", command.id)
    if command.due_by is not None and command.due_by < command.made_at:
        raise ValidationFailed("due_by", "due_by is before made_at")
    for i, condition in enumerate(command.conditions or []):
        if condition.commitment == command.id:
            field = f"conditions.{i}.commitment"
            raise ValidationFailed(field, "a commitment cannot be its own condition")
    return NewEvent(ev.COMMITMENT_MADE, command.to_data(), command.made_at, **envelope)


def record_evidence(
    commitment_id: str,
    stream: Sequence[RecordedEvent],
    command: Evidence,
    *,
    now: datetime,
    **envelope: Any,
) -> NewEvent:
    """The evidence event for this commitment's stream (its events in version order).

    EntityNotFound (404) without a commitment_made; ValidationFailed (422) naming the field for:
    occurred_at before made_at, effective_at after occurred_at, measure_value without a measure,
    an unknown condition, due_by before made_at, superseded by itself, a correction naming an
    event not in this stream, a correction or an event already corrected, an agreement to
    anything but an uncorrected relief event by the promisor. A correction occurs `now`.
    AlreadyAgreed (409) when the writer has agreed to that event before.
    """
    made = next((e for e in stream if e.type == ev.COMMITMENT_MADE), None)
    if made is None:
        raise EntityNotFound("commitment", commitment_id)
    data = {k: v for k, v in command.to_data().items() if k not in ("type", "occurred_at")}
    if isinstance(command, RecordCorrection):
        _check_correction(stream, command)
        return NewEvent(command.type, data, now, **envelope)
    _not_ahead("occurred_at", command.occurred_at, now)
    _check_dated(commitment_id, made.data, command)
    if isinstance(command, AgreeChange):
        _check_agreement(stream, made.data, command, envelope.get("metadata", {}))
    return NewEvent(command.type, data, command.occurred_at, **envelope)


def record_party_event(
    party_id: str,
    stream: Sequence[RecordedEvent],
    command: PartyEvent,
    *,
    now: datetime,
    **envelope: Any,
) -> NewEvent:
    """A party_dissolved or a correction for this party's stream (its events in version order).

    EntityNotFound (404) without a party_registered; AlreadyDissolved (409) when an uncorrected
    dissolution is there; a correction is checked as on a commitment stream and occurs `now`.
    """
    if not any(e.type == ev.PARTY_REGISTERED for e in stream):
        raise EntityNotFound("party", party_id)
    data = {k: v for k, v in command.to_data().items() if k not in ("type", "occurred_at")}
    if isinstance(command, RecordCorrection):
        _check_correction(stream, command)
        return NewEvent(command.type, data, now, **envelope)
    if any(e.type == ev.PARTY_DISSOLVED for e in _uncorrected(stream)):
        raise AlreadyDissolved(party_id)
    _not_ahead("occurred_at", command.occurred_at, now)
    return NewEvent(command.type, data, command.occurred_at, **envelope)


def _uncorrected(stream: Sequence[RecordedEvent]) -> list[RecordedEvent]:
    corrected = {e.data["corrects"] for e in stream if e.type == ev.CORRECTION_RECORDED}
    return [e for e in stream if str(e.event_id) not in corrected]


def _check_agreement(
    stream: Sequence[RecordedEvent],
    made: dict[str, Any],
    command: AgreeChange,
    metadata: dict[str, Any],
) -> None:
    """`agrees` names an uncorrected relief event of this commitment written by its promisor,
    and the writer has not agreed to it already (rules v2, R2)."""
    live = _uncorrected(stream)
    target = next((e for e in live if str(e.event_id) == command.agrees), None)
    if target is None or target.type not in ev.RELIEF_EVENTS:
        raise ValidationFailed("agrees", "no uncorrected relief event with this event_id here")
    if writer(target) != made["promisor"]:
        raise ValidationFailed("agrees", "the event was not written by the promisor")
    by = metadata.get("recorded_by")
    for e in live:
        if e.type == ev.CHANGE_AGREED and e.data["agrees"] == command.agrees and writer(e) == by:
            raise AlreadyAgreed(str(by), command.agrees)


def _check_dated(commitment_id: str, made: dict[str, Any], command: Dated) -> None:
    made_at = parse_time(made["made_at"])
    if command.occurred_at < made_at:
        raise ValidationFailed("occurred_at", "occurred_at is before the commitment's made_at")
    if isinstance(command, RecordAssessment):
        if command.effective_at is not None and command.effective_at > command.occurred_at:
            raise ValidationFailed("effective_at", "effective_at is after occurred_at")
        if command.measure_value is not None and "measure" not in made:
            raise ValidationFailed("measure_value", "the commitment has no measure")
        _check_measure(made, command)
    elif isinstance(command, ResolveCondition):
        if command.condition not in {c["id"] for c in made.get("conditions", [])}:
            raise ValidationFailed("condition", f"unknown condition {command.condition!r}")
    elif isinstance(command, ChangeDeadline):
        if command.due_by < made_at:
            raise ValidationFailed("due_by", "due_by is before the commitment's made_at")
    elif isinstance(command, Supersede) and command.by == commitment_id:
        raise ValidationFailed("by", "a commitment cannot supersede itself")


def _check_measure(made: dict[str, Any], command: RecordAssessment) -> None:
    """A `fulfilled` assessment may not contradict itself: its measure_value must meet the
    commitment's measure (target and comparator)."""
    measure = made.get("measure")
    if command.verdict != "fulfilled" or command.measure_value is None or measure is None:
        return
    target, comparator = float(measure["target"]), measure["comparator"]
    if not COMPARATORS[comparator](float(command.measure_value), target):
        raise ValidationFailed(
            "measure_value",
            f"a fulfilled assessment's measure_value {command.measure_value:g} does not meet"
            f" the commitment's measure ({comparator} {target:g} {measure['unit']})",
        )


def _not_ahead(field: str, at: datetime | None, now: datetime) -> None:
    """The ledger records what has happened: a time later than now (past CLOCK_SKEW) is a 422."""
    if at is not None and at > now + CLOCK_SKEW:
        raise ValidationFailed(
            field,
            f"{field} is later than the moment it is recorded; the ledger records what has"
            f" happened (a clock skew of {CLOCK_SKEW.total_seconds() / 60:g} minutes is allowed)",
        )


def _check_correction(stream: Sequence[RecordedEvent], command: RecordCorrection) -> None:
    target = next((e for e in stream if str(e.event_id) == command.corrects), None)
    if target is None:
        raise ValidationFailed("corrects", "no event with this event_id in this stream")
    if target.type == ev.CORRECTION_RECORDED:
        raise ValidationFailed("corrects", "a correction cannot be corrected")
    corrections = (e for e in stream if e.type == ev.CORRECTION_RECORDED)
    if any(e.data["corrects"] == command.corrects for e in corrections):
        raise ValidationFailed("corrects", "this event is already corrected")


def _must_be_new(existing: Sequence[RecordedEvent], kind: str, entity_id: str) -> None:
    if existing:
        raise AlreadyExists(kind, entity_id)
