"""The compliance rules (docs/compliance-rules.md): the fold of service/domain/fold.py dressed as
the status a reader gets, with the schedule (R8) and the links of its conditions.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from service.domain import events as ev
from service.domain.events import Schedule, Verdict
from service.domain.fold import MET, NO_PARTIES, Fold, Linked, Parties, counted_strength, fold
from service.domain.known import corrected_ids, effective_time, known_events, latest_key
from service.domain.relief import assessor_of, writer
from service.domain.status import (
    AssessmentView,
    ClosureView,
    CommitmentStatus,
    ConditionView,
    RequestView,
)
from service.log.records import RecordedEvent, parse_time

__all__ = [
    "Linked",
    "Parties",
    "commitment_status",
    "corrected_ids",
    "fold",
    "known_events",
    "latest_key",
    "met_at_of",
    "schedule_of",
    "verdict_lookup",
]

COMPARATORS: Mapping[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    "=": operator.eq,
    ">=": operator.ge,
    ">": operator.gt,
}


def commitment_status(
    events: Sequence[RecordedEvent],
    as_of: datetime,
    known_at: datetime,
    linked: Linked | None = None,
    parties: Parties = NO_PARTIES,
) -> CommitmentStatus | None:
    """`fold` as the status views. None: the commitment does not exist at (V, K).

    `parties` holds the streams of its promisor and promisees (party id -> events; a party
    missing has none). `linked` answers, for a condition linked to another commitment, that
    commitment's verdict at the same (as_of, known_at); see `verdict_lookup`. It informs and
    never changes this verdict.
    """
    f = fold(events, as_of, known_at, parties)
    if f is None:
        return None
    made = f.made
    met_at = met_at_of(f.verdict, f.decider)
    return CommitmentStatus(
        commitment=made["id"],
        promisor=made["promisor"],
        promisees=made["promisees"],
        agreement=made.get("agreement"),
        text=made["text"],
        made_at=parse_time(made["made_at"]),
        as_of=as_of,
        known_at=known_at,
        verdict=f.verdict,
        decided_by=None if f.decider is None else str(f.decider.event_id),
        basis=f.basis,
        disputed=f.disputed,
        schedule=schedule_of(f.verdict, met_at, f.due_by, as_of),
        due_by=f.due_by,
        requested_due_by=f.requested_due_by,
        requests=[_request_view(e) for e in f.requests],
        closure=_closure_view(f),
        measure_met=measure_met(f),
        assessments=[_assessment_view(a, f.promisor) for a in f.assessments],
        conditions=_condition_views(made, f.setters, linked),
        event_count=f.event_count,
        last_position=f.last_position,
    )


def met_at_of(verdict: Verdict, decider: RecordedEvent | None) -> datetime | None:
    """When a met verdict took effect: the effective time of the assessment that gave it."""
    if verdict in MET and decider is not None:
        return effective_time(decider)
    return None


def schedule_of(
    verdict: Verdict, met_at: datetime | None, due_by: datetime | None, as_of: datetime
) -> Schedule:
    """R8, from the verdict, when a met verdict took effect, the due date and V.

    Public so that read models can store (verdict, met_at, due_by) and ask at read time.
    Overdue from the due instant itself: a bare due date is the last instant of its day, and
    every act that counts as on time is effective by then (rules v2, R8).
    """
    if verdict in ("superseded", "withdrawn", "lapsed"):
        return "closed"
    if due_by is None:
        return "no_deadline"
    if verdict in MET and met_at is not None:
        return "met_on_time" if met_at <= due_by else "met_late"
    return "overdue" if as_of >= due_by else "not_due"


def measure_met(f: Fold) -> bool | None:
    """Whether the giving assessment's measure_value meets the commitment's measure; None when
    the verdict does not come from an assessment, or either is absent."""
    measure = f.made.get("measure")
    decider = f.decider
    if measure is None or decider is None or decider.type != ev.ASSESSMENT_RECORDED:
        return None
    value = decider.data.get("measure_value")
    if value is None:
        return None
    return COMPARATORS[measure["comparator"]](float(value), float(measure["target"]))


def _request_view(event: RecordedEvent) -> RequestView:
    data = event.data
    due_by = data.get("due_by")
    return RequestView(
        event_id=str(event.event_id),
        type=event.type,
        recorded_by=writer(event),
        due_by=None if due_by is None else parse_time(due_by),
        by=data.get("by"),
        condition=data.get("condition"),
    )


def _closure_view(f: Fold) -> ClosureView | None:
    if f.closure is None:
        return None
    return ClosureView(type=f.closure.type, event_id=str(f.closure.event.event_id), at=f.closure.at)


def _condition_views(
    made: Mapping[str, Any], setters: Sequence[RecordedEvent | None], linked: Linked | None
) -> list[ConditionView]:
    views = []
    for condition, setter in zip(made.get("conditions", []), setters, strict=True):
        other = condition.get("commitment")
        views.append(
            ConditionView(
                id=condition["id"],
                text=condition["text"],
                state="pending" if setter is None else ev.CONDITION_STATE_OF[setter.type],
                event_id=None if setter is None else str(setter.event_id),
                commitment=other,
                commitment_verdict=None if other is None or linked is None else linked(other),
            )
        )
    return views


def _assessment_view(event: RecordedEvent, promisor: str) -> AssessmentView:
    data = event.data
    assessor = assessor_of(event)
    return AssessmentView(
        event_id=str(event.event_id),
        position=event.position,
        assessor=assessor,
        recorded_by=writer(event),
        verdict=data["verdict"],
        strength=counted_strength(event, promisor),
        stated_strength=data["strength"],
        self_assessment=assessor == promisor,
        occurred_at=event.occurred_at,
        effective_at=effective_time(event),
        recorded_at=event.recorded_at,
        note=data.get("note"),
        level=data.get("level"),
        measure_value=data.get("measure_value"),
        source=data["source"],
    )


def verdict_lookup(
    streams: Mapping[str, Sequence[RecordedEvent]],
    as_of: datetime,
    known_at: datetime,
    parties: Parties = NO_PARTIES,
) -> Linked:
    """A `linked` callback over the given commitments' events (by commitment id).

    Linked commitments are folded without their own links, so cycles cannot recurse; an id not
    in `streams` answers None (does not exist), like a commitment without an effective creation.
    `parties` should hold the party streams of the linked commitments' promisors and promisees.
    """

    def verdict_of(commitment_id: str) -> Verdict | None:
        f = fold(streams.get(commitment_id, ()), as_of, known_at, parties)
        return None if f is None else f.verdict

    return verdict_of
