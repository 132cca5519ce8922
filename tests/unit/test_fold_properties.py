"""Property tests of the fold: a replay oracle, input order, and corrections acting as erasure."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from service.domain.compliance import commitment_status
from service.log.records import RecordedEvent, parse_time
from tests.unit.commitment_ledger import Ledger, end

DAY0 = date(2021, 1, 1)
STRENGTH = {"claimed": 0, "reported": 1, "verified": 2}


def day(n: int) -> str:
    return (DAY0 + timedelta(days=n)).isoformat()


days = st.integers(min_value=0, max_value=30)
assessments = st.fixed_dictionaries(
    {
        "type": st.just("assessment_recorded"),
        "assessor": st.sampled_from(["a", "b", "c", "p"]),  # p: the promisor
        "verdict": st.sampled_from(["in_progress", "stalled", "fulfilled", "breached"]),
        "strength": st.sampled_from(list(STRENGTH)),
    }
)
conditions = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["condition_met", "condition_failed", "condition_waived"]),
        "condition": st.sampled_from(["x", "y"]),
    }
)
deadlines = st.builds(lambda d: {"type": "deadline_changed", "due_by": day(d)}, days)
closings = st.sampled_from([{"type": "withdrawn"}, {"type": "superseded", "by": "other"}])
bodies = st.one_of(assessments, assessments, conditions, deadlines, closings)
# (body, occurred day, days until recorded, days effective_at precedes occurred_at)
evidence = st.tuples(bodies, days, st.integers(0, 10), st.integers(0, 3))


@st.composite
def streams(draw: st.DrawFn) -> Ledger:
    ledger = Ledger()
    due = draw(st.one_of(st.none(), days))
    conds = draw(st.sampled_from([[], ["x"], ["x", "y"]]))
    ledger.make(
        made_at=day(0),
        **({} if due is None else {"due_by": day(due)}),
        **({"conditions": [{"id": c, "text": c} for c in conds]} if conds else {}),
    )
    items = draw(st.lists(evidence, max_size=14))
    for body, occurred, lag, early in sorted(items, key=lambda item: item[1] + item[2]):
        extra: dict[str, Any] = {"occurred_at": day(occurred)}
        if body["type"] == "assessment_recorded":
            extra["effective_at"] = day(occurred - early)
        if body.get("condition") in conds or "condition" not in body:
            ledger.post(body | extra, recorded_at=day(occurred + lag))
    return ledger


def oracle(events: list[RecordedEvent], as_of: str, known_at: str) -> dict[str, Any] | None:
    """Rules v2 over legacy events (no writers: every relief binds) written as a replay in
    'latest' order, where the last writer wins; the promisor is "p"."""
    recorded = [e for e in events if e.recorded_at <= end(known_at)]
    corrected = {e.data["corrects"] for e in recorded if e.type == "correction_recorded"}
    effective = sorted(
        (e for e in recorded if str(e.event_id) not in corrected and e.occurred_at <= end(as_of)),
        key=lambda e: (e.occurred_at, e.position),
    )
    made, deadline, closing = None, None, None
    setters: dict[str, RecordedEvent | None] = {}
    mine: dict[str, RecordedEvent] = {}
    for e in effective:
        if e.type == "commitment_made":
            made = e.data
            setters = {c["id"]: None for c in made.get("conditions", [])}
        elif e.type == "deadline_changed":
            deadline = e.data["due_by"]
        elif e.type.startswith("condition_"):
            setters[e.data["condition"]] = e
        elif e.type == "assessment_recorded":
            mine[e.data["assessor"]] = e
        elif e.type in ("withdrawn", "superseded"):
            closing = e
    if made is None:
        return None
    states = {
        c: "pending" if s is None else s.type.removeprefix("condition_") for c, s in setters.items()
    }
    failures = [s for s in setters.values() if s is not None and s.type == "condition_failed"]
    closure = closing or min(failures, key=lambda e: (e.occurred_at, e.position), default=None)
    due_text = deadline or made.get("due_by")
    due = None if due_text is None else parse_time(due_text)

    def counted(a: RecordedEvent) -> int:
        return 0 if a.data["assessor"] == "p" else STRENGTH[a.data["strength"]]

    top = max((counted(a) for a in mine.values()), default=-1)
    decider = None
    for e in effective:
        if e in mine.values() and counted(e) == top:
            decider = e
    met_at = None if decider is None else parse_time(decider.data["effective_at"])
    stands = decider is not None and decider.data["verdict"] == "fulfilled"
    if closure is not None and not (
        stands and met_at is not None and met_at <= closure.occurred_at
    ):
        verdict = closure.type if closure is closing else "lapsed"
    elif decider is not None:
        verdict = decider.data["verdict"]
    else:
        verdict = "pending_condition" if "pending" in states.values() else "not_assessed"
    basis = "none"
    if decider is not None and verdict == decider.data["verdict"]:
        others = [a for a in mine.values() if counted(a) == 0 and a.data["assessor"] != "p"]
        if top > 0:
            basis = "independent"
        elif any(a.data["verdict"] == verdict for a in others):
            basis = "claimed"
        else:
            basis = "self_reported"
    if verdict in ("withdrawn", "superseded", "lapsed"):
        schedule = "closed"
    elif due is None:
        schedule = "no_deadline"
    elif verdict == "fulfilled" and met_at is not None:
        schedule = "met_on_time" if met_at <= due else "met_late"
    else:
        schedule = "overdue" if end(as_of) >= due else "not_due"
    disputed = len({a.data["verdict"] for a in mine.values()}) > 1
    return {
        "verdict": verdict,
        "schedule": schedule,
        "due_by": due,
        "disputed": disputed,
        "basis": basis,
        **states,
    }


def observed(
    ledger_events: list[RecordedEvent], as_of: str, known_at: str
) -> dict[str, Any] | None:
    status = commitment_status(ledger_events, end(as_of), end(known_at))
    if status is None:
        return None
    states = {c.id: c.state for c in status.conditions}
    keys = ("verdict", "schedule", "due_by", "disputed", "basis")
    return {key: getattr(status, key) for key in keys} | states


@settings(max_examples=300, deadline=None)
@given(streams(), st.integers(-1, 45), st.integers(-1, 45))
def test_the_fold_agrees_with_a_replay_oracle(ledger: Ledger, v: int, k: int) -> None:
    assert observed(ledger.events, day(v), day(k)) == oracle(ledger.events, day(v), day(k))


@settings(max_examples=200, deadline=None)
@given(streams(), st.randoms(use_true_random=False), st.integers(0, 45), st.integers(0, 45))
def test_the_fold_ignores_the_order_of_its_input(
    ledger: Ledger, rng: random.Random, v: int, k: int
) -> None:
    shuffled = list(ledger.events)
    rng.shuffle(shuffled)
    before = commitment_status(ledger.events, end(day(v)), end(day(k)))
    after = commitment_status(shuffled, end(day(v)), end(day(k)))
    assert (before and before.to_json()) == (after and after.to_json())


@settings(max_examples=200, deadline=None)
@given(streams(), st.data(), st.integers(0, 45))
def test_a_known_correction_is_the_same_as_never_having_recorded_the_event(
    ledger: Ledger, data: st.DataObject, v: int
) -> None:
    evidence = ledger.events[1:]
    wrong = data.draw(
        st.lists(st.sampled_from(evidence), unique_by=id) if evidence else st.just([])
    )
    for target in data.draw(st.permutations(wrong)):
        ledger.correct(target, recorded_at=day(data.draw(st.integers(42, 50))))
    erased = [e for e in ledger.events[: len(evidence) + 1] if e not in wrong]
    for known in (day(41), day(60)):
        without = erased if known == day(60) else ledger.events[: len(evidence) + 1]
        expected = commitment_status(without, end(day(v)), end(known))
        actual = commitment_status(ledger.events, end(day(v)), end(known))
        assert actual is not None and expected is not None
        assert actual.model_copy(update={"event_count": 0, "last_position": 0}) == (
            expected.model_copy(update={"event_count": 0, "last_position": 0})
        )
