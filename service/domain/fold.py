"""The compliance rules v2 (docs/compliance-rules.md) as plain values: a commitment's events and
its parties' streams folded at (V, K). The one fold behind statuses, lists, tallies and replay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from service.domain import events as ev
from service.domain.events import Basis, ClosureType, Verdict
from service.domain.known import effective_events, effective_time
from service.domain.relief import Point, Relief, assessor_of, cessations, classify, point
from service.log.records import RecordedEvent, parse_time

# Given a commitment id, its verdict at the same (as_of, known_at), or None if it does not exist.
Linked = Callable[[str], Verdict | None]
# Party id -> that party's stream (any order); parties not in it have no events.
Parties = Mapping[str, Sequence[RecordedEvent]]
MET: frozenset[str] = frozenset({"fulfilled", "partially_fulfilled"})
NO_PARTIES: Parties = {}


@dataclass(frozen=True, slots=True)
class Closure:
    """What ends the promisor's duty (R4): the binding supersession or withdrawal, else the
    earliest lapse. `at` is its binding time; an assessment effective by then still stands."""

    type: ClosureType
    event: RecordedEvent  # the superseded/withdrawn, condition_failed or party_dissolved
    key: Point  # its binding point

    @property
    def at(self) -> datetime:
        return self.key[0]

    @property
    def word(self) -> Verdict:
        return cast(Verdict, self.type) if self.type in ev.CLOSING_EVENTS else "lapsed"


@dataclass(frozen=True, slots=True)
class Fold:
    """Rules v2 as plain values: what `commitment_status` presents and the projector stores."""

    made: Mapping[str, Any]  # the data of the latest effective commitment_made
    verdict: Verdict
    decider: RecordedEvent | None  # the giving assessment or the closing event (decided_by)
    basis: Basis
    disputed: bool
    due_by: datetime | None
    requested_due_by: datetime | None
    requests: list[RecordedEvent]  # relief by the promisor alone, in point order
    closure: Closure | None
    assessments: list[RecordedEvent]  # each assessor's latest, ordered by assessor id
    setters: list[RecordedEvent | None]  # per condition of `made`, the event that set its state
    event_count: int  # events recorded by known_at, corrections included
    last_position: int

    @property
    def promisor(self) -> str:
        return str(self.made["promisor"])


def fold(
    events: Sequence[RecordedEvent],
    as_of: datetime,
    known_at: datetime,
    parties: Parties = NO_PARTIES,
) -> Fold | None:
    """Rules v2 over one commitment stream's events (any order) and the streams of its promisor
    and promisees (`parties`). None: the commitment does not exist at (V, K)."""
    recorded = [e for e in events if e.recorded_at <= known_at]
    by_type: dict[str, list[RecordedEvent]] = {}
    for e in effective_events(recorded, as_of, known_at):
        by_type.setdefault(e.type, []).append(e)
    made_events = by_type.get(ev.COMMITMENT_MADE)
    if not made_events:
        return None
    made = max(made_events, key=point).data
    promisor, promisees = str(made["promisor"]), list(made["promisees"])
    ceased = cessations(
        {p: effective_events(parties.get(p, ()), as_of, known_at) for p in {promisor, *promisees}}
    )
    relief_events = [e for kind in ev.RELIEF_EVENTS for e in by_type.get(kind, ())]
    agreements = by_type.get(ev.CHANGE_AGREED, ())
    relief = classify(relief_events, agreements, promisor, promisees, ceased)
    setters = _setters(by_type, made, relief)
    assessments = _latest_per_assessor(by_type.get(ev.ASSESSMENT_RECORDED, ()))
    kept = _kept(assessments, promisor)
    giving = max(kept, key=point) if kept else None
    closure = _closure(by_type, relief, setters, made, ceased)
    verdict, decider = _verdict(giving, closure, setters)
    requested = [e for e in relief.requests if e.type == ev.DEADLINE_CHANGED]
    return Fold(
        made=made,
        verdict=verdict,
        decider=decider,
        basis=_basis(verdict, decider, giving, kept, promisor),
        disputed=_disputed(assessments, relief, promisor),
        due_by=_due_by(by_type.get(ev.DEADLINE_CHANGED, ()), relief, made),
        requested_due_by=parse_time(requested[-1].data["due_by"]) if requested else None,
        requests=relief.requests,
        closure=closure,
        assessments=assessments,
        setters=setters,
        event_count=len(recorded),
        last_position=max(e.position for e in recorded),
    )


def counted_strength(assessment: RecordedEvent, promisor: str) -> str:
    """R1: the promisor's own assessment counts as a claim, whatever strength it states."""
    if assessor_of(assessment) == promisor:
        return "claimed"
    return str(assessment.data["strength"])


def _kept(assessments: Sequence[RecordedEvent], promisor: str) -> list[RecordedEvent]:
    """The assessors' latest assessments of the highest counted strength present."""
    if not assessments:
        return []
    rank = {id(a): ev.STRENGTH_RANK[counted_strength(a, promisor)] for a in assessments}
    top = max(rank.values())
    return [a for a in assessments if rank[id(a)] == top]


def _due_by(
    changes: Sequence[RecordedEvent], relief: Relief, made: Mapping[str, Any]
) -> datetime | None:
    """R3: the binding deadline_changed with the greatest binding point, else the commitment's."""
    binding = [e for e in changes if relief.binds(e)]
    if binding:
        return parse_time(max(binding, key=relief.key).data["due_by"])
    return parse_time(made["due_by"]) if "due_by" in made else None


def _setters(
    by_type: Mapping[str, Sequence[RecordedEvent]], made: Mapping[str, Any], relief: Relief
) -> list[RecordedEvent | None]:
    """R3: per condition, the met/waived (key: point) or binding failed (key: binding point)
    with the greatest key (None: pending)."""
    latest: dict[str, tuple[Point, RecordedEvent]] = {}
    for kind in ev.CONDITION_EVENTS:
        for e in by_type.get(kind, ()):
            if kind == ev.CONDITION_FAILED and not relief.binds(e):
                continue
            key = relief.key(e) if kind == ev.CONDITION_FAILED else point(e)
            name = e.data["condition"]
            if name not in latest or key > latest[name][0]:
                latest[name] = (key, e)
    found = {name: event for name, (_, event) in latest.items()}
    return [found.get(condition["id"]) for condition in made.get("conditions", [])]


def _latest_per_assessor(assessments: Iterable[RecordedEvent]) -> list[RecordedEvent]:
    latest: dict[str, RecordedEvent] = {}
    for e in assessments:
        who = assessor_of(e)
        if who not in latest or point(e) > point(latest[who]):
            latest[who] = e
    return [latest[who] for who in sorted(latest)]


def _closure(
    by_type: Mapping[str, Sequence[RecordedEvent]],
    relief: Relief,
    setters: Sequence[RecordedEvent | None],
    made: Mapping[str, Any],
    ceased: Mapping[str, RecordedEvent],
) -> Closure | None:
    """R4/R5: the binding supersession or withdrawal with the greatest binding point, else the
    earliest lapse (a failed condition, the promisor's cessation, the last promisee's)."""
    closing = [e for kind in ev.CLOSING_EVENTS for e in by_type.get(kind, ()) if relief.binds(e)]
    if closing:
        last = max(closing, key=relief.key)
        return Closure(cast(ClosureType, last.type), last, relief.key(last))
    lapses = [
        Closure("condition_failed", s, relief.key(s))
        for s in setters
        if s is not None and s.type == ev.CONDITION_FAILED
    ]
    promisor = made["promisor"]
    if promisor in ceased:
        lapses.append(Closure("promisor_dissolved", ceased[promisor], point(ceased[promisor])))
    if all(p in ceased for p in made["promisees"]):
        last = max((ceased[p] for p in made["promisees"]), key=point)
        lapses.append(Closure("promisees_dissolved", last, point(last)))
    return min(lapses, key=lambda c: c.key, default=None)


def _verdict(
    giving: RecordedEvent | None,
    closure: Closure | None,
    setters: Sequence[RecordedEvent | None],
) -> tuple[Verdict, RecordedEvent | None]:
    """R4, first match wins; also the event behind the verdict (decided_by), if one is."""
    if closure is not None and not _stands(giving, closure):
        return closure.word, closure.event
    if giving is not None:
        return cast(Verdict, giving.data["verdict"]), giving
    if any(s is None for s in setters):
        return "pending_condition", None
    return "not_assessed", None


def _stands(giving: RecordedEvent | None, closure: Closure) -> bool:
    """A fulfilment that took effect at or before the closure instant is not erased by it."""
    return (
        giving is not None
        and giving.data["verdict"] in MET
        and effective_time(giving) <= closure.at
    )


def _basis(
    verdict: Verdict,
    decider: RecordedEvent | None,
    giving: RecordedEvent | None,
    kept: Sequence[RecordedEvent],
    promisor: str,
) -> Basis:
    """R7: what the verdict rests on."""
    if giving is None or decider is not giving:
        return "none"
    if counted_strength(giving, promisor) != "claimed":
        return "independent"
    others = (a for a in kept if a.data["verdict"] == verdict and assessor_of(a) != promisor)
    return "claimed" if any(others) else "self_reported"


def _disputed(assessments: Sequence[RecordedEvent], relief: Relief, promisor: str) -> bool:
    """R6: the assessors disagree, or a request stands while another party holds it breached."""
    if len({a.data["verdict"] for a in assessments}) > 1:
        return True
    return bool(relief.requests) and any(
        a.data["verdict"] == "breached" and assessor_of(a) != promisor for a in assessments
    )


def ceased_at(
    party_id: str, stream: Sequence[RecordedEvent], as_of: datetime, known_at: datetime
) -> datetime | None:
    """R5: when the party ceased, as known at (V, K); None while it has not."""
    found = cessations({party_id: effective_events(stream, as_of, known_at)})
    return found[party_id].occurred_at if party_id in found else None
