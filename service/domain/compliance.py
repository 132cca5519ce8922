"""The compliance rules (docs/compliance-rules.md): a commitment's events folded at (V, K)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from service.domain import events as ev
from service.domain.events import Schedule, Verdict
from service.domain.status import AssessmentView, CommitmentStatus, ConditionView
from service.log.records import RecordedEvent, parse_time

# Given a commitment id, its verdict at the same (as_of, known_at), or None if it does not exist.
Linked = Callable[[str], Verdict | None]
MET: frozenset[str] = frozenset({"fulfilled", "partially_fulfilled"})


def latest_key(event: RecordedEvent) -> tuple[datetime, int]:
    """'Latest' means greatest occurred_at, ties broken by greater position (rule 3)."""
    return (event.occurred_at, event.position)


def corrected_ids(events: Iterable[RecordedEvent], known_at: datetime) -> set[str]:
    """Event ids named by a correction recorded by known_at (rule 1: by transaction time only)."""
    return {
        str(e.data["corrects"])
        for e in events
        if e.type == ev.CORRECTION_RECORDED and e.recorded_at <= known_at
    }


def known_events(events: Iterable[RecordedEvent], known_at: datetime) -> list[RecordedEvent]:
    """Rule 1: recorded by known_at and not corrected by then, in position order."""
    recorded = sorted((e for e in events if e.recorded_at <= known_at), key=lambda e: e.position)
    corrected = corrected_ids(recorded, known_at)
    if not corrected:  # the common case: spare parsing every event id
        return recorded
    return [e for e in recorded if str(e.event_id) not in corrected]


@dataclass(frozen=True, slots=True)
class Fold:
    """Rules 1-7 as plain values: what `commitment_status` presents and the projector stores."""

    made: Mapping[str, Any]  # the data of the latest effective commitment_made
    verdict: Verdict
    decider: RecordedEvent | None  # the assessment or closing event behind the verdict
    disputed: bool
    due_by: datetime | None
    assessments: list[RecordedEvent]  # each assessor's latest, ordered by assessor id
    setters: list[RecordedEvent | None]  # per condition of `made`, the event that set its state
    event_count: int  # events recorded by known_at, corrections included
    last_position: int


def fold(events: Sequence[RecordedEvent], as_of: datetime, known_at: datetime) -> Fold | None:
    """Rules 1-7 over one commitment stream's events (any order). None: it does not exist at (V, K).

    The one fold: `commitment_status` dresses it in views, the projector stores it (rows.py).
    """
    recorded = [e for e in events if e.recorded_at <= known_at]
    effective = [e for e in known_events(recorded, known_at) if e.occurred_at <= as_of]
    by_type: dict[str, list[RecordedEvent]] = {}
    for e in effective:
        by_type.setdefault(e.type, []).append(e)
    made_events = by_type.get(ev.COMMITMENT_MADE)
    if not made_events:
        return None
    made = max(made_events, key=latest_key).data
    setters = _setters(by_type, made)
    assessments = _latest_per_assessor(by_type.get(ev.ASSESSMENT_RECORDED, ()))
    verdict, decider = _verdict(by_type, setters, assessments)
    return Fold(
        made=made,
        verdict=verdict,
        decider=decider,
        disputed=len({a.data["verdict"] for a in assessments}) > 1,
        due_by=_due_by(by_type.get(ev.DEADLINE_CHANGED), made),
        assessments=assessments,
        setters=setters,
        event_count=len(recorded),
        last_position=max(e.position for e in recorded),
    )


def commitment_status(
    events: Sequence[RecordedEvent],
    as_of: datetime,
    known_at: datetime,
    linked: Linked | None = None,
) -> CommitmentStatus | None:
    """`fold` as the status views. None: the commitment does not exist at (V, K).

    `linked` answers, for a condition linked to another commitment, that commitment's verdict at
    the same (as_of, known_at); see `verdict_lookup`. It informs and never changes this verdict.
    """
    f = fold(events, as_of, known_at)
    if f is None:
        return None
    made = f.made
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
        disputed=f.disputed,
        schedule=schedule_of(f.verdict, met_at_of(f.verdict, f.decider), f.due_by, as_of),
        due_by=f.due_by,
        assessments=[_assessment_view(a) for a in f.assessments],
        conditions=_condition_views(made, f.setters, linked),
        event_count=f.event_count,
        last_position=f.last_position,
    )


def _due_by(changes: Sequence[RecordedEvent] | None, made: Mapping[str, Any]) -> datetime | None:
    """Rule 3: the latest effective deadline_changed, else the commitment's own, else none."""
    if changes:
        return parse_time(max(changes, key=latest_key).data["due_by"])
    return parse_time(made["due_by"]) if "due_by" in made else None


def _setters(
    by_type: Mapping[str, Sequence[RecordedEvent]], made: Mapping[str, Any]
) -> list[RecordedEvent | None]:
    """Rule 4: per condition, the latest effective met/failed/waived naming it (None: pending)."""
    latest: dict[str, RecordedEvent] = {}
    for kind in ev.CONDITION_EVENTS:
        for e in by_type.get(kind, ()):
            name = e.data["condition"]
            if name not in latest or latest_key(e) > latest_key(latest[name]):
                latest[name] = e
    return [latest.get(condition["id"]) for condition in made.get("conditions", [])]


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


def _latest_per_assessor(assessments: Iterable[RecordedEvent]) -> list[RecordedEvent]:
    latest: dict[str, RecordedEvent] = {}
    for e in assessments:
        who = e.data["assessor"]
        if who not in latest or latest_key(e) > latest_key(latest[who]):
            latest[who] = e
    return [latest[who] for who in sorted(latest)]


def _verdict(
    by_type: Mapping[str, Sequence[RecordedEvent]],
    setters: Sequence[RecordedEvent | None],
    assessments: Sequence[RecordedEvent],
) -> tuple[Verdict, RecordedEvent | None]:
    """Rule 5, first match wins; also returns the event that gave the verdict, if one did."""
    closing = [e for kind in ev.CLOSING_EVENTS for e in by_type.get(kind, ())]
    if closing:
        last = max(closing, key=latest_key)
        return cast(Verdict, last.type), last
    failed = [s for s in setters if s is not None and s.type == ev.CONDITION_FAILED]
    if failed:
        return "lapsed", max(failed, key=latest_key)
    if assessments:
        top = max(ev.STRENGTH_RANK[a.data["strength"]] for a in assessments)
        strongest = [a for a in assessments if ev.STRENGTH_RANK[a.data["strength"]] == top]
        decider = max(strongest, key=latest_key)
        return cast(Verdict, decider.data["verdict"]), decider
    if any(s is None for s in setters):
        return "pending_condition", None
    return "not_assessed", None


def met_at_of(verdict: Verdict, decider: RecordedEvent | None) -> datetime | None:
    """When a met verdict took effect: the effective_at of the assessment that gave it."""
    if verdict in MET and decider is not None:
        return parse_time(decider.data["effective_at"])
    return None


def schedule_of(
    verdict: Verdict, met_at: datetime | None, due_by: datetime | None, as_of: datetime
) -> Schedule:
    """Rule 7, from the verdict, when a met verdict took effect, the due date and V.

    Public so that read models can store (verdict, met_at, due_by) and ask at read time.
    """
    if verdict in ("superseded", "withdrawn", "lapsed"):
        return "closed"
    if due_by is None:
        return "no_deadline"
    if verdict in MET and met_at is not None:
        return "met_on_time" if met_at <= due_by else "met_late"
    return "overdue" if as_of > due_by else "not_due"


def _assessment_view(event: RecordedEvent) -> AssessmentView:
    data = event.data
    return AssessmentView(
        event_id=str(event.event_id),
        position=event.position,
        assessor=data["assessor"],
        verdict=data["verdict"],
        strength=data["strength"],
        occurred_at=event.occurred_at,
        effective_at=parse_time(data["effective_at"]),
        recorded_at=event.recorded_at,
        note=data.get("note"),
        level=data.get("level"),
        measure_value=data.get("measure_value"),
        source=data["source"],
    )


def verdict_lookup(
    streams: Mapping[str, Sequence[RecordedEvent]], as_of: datetime, known_at: datetime
) -> Linked:
    """A `linked` callback over the given commitments' events (by commitment id).

    Linked commitments are folded without their own links, so cycles cannot recurse; an id not
    in `streams` answers None (does not exist), like a commitment without an effective creation.
    """

    def verdict_of(commitment_id: str) -> Verdict | None:
        status = commitment_status(streams.get(commitment_id, ()), as_of, known_at)
        return None if status is None else status.verdict

    return verdict_of
