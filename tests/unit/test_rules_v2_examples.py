"""The five worked examples of docs/compliance-rules.md (rules v2), every row, over the pure fold.

Parties: acme and beta (states), watch (a monitor), press (a news agency). Every event is
recorded one day after it occurs unless a row says otherwise; known_at is "now" (FAR).
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest

from service.domain.errors import AlreadyAgreed, ValidationFailed
from service.domain.status import CommitmentStatus
from service.domain.tallies import party_compliance
from service.log.records import RecordedEvent
from tests.unit.commitment_ledger import FAR, Ledger, Party, end, streams_of


def next_day(text: str) -> str:
    return (date.fromisoformat(text[:10]) + timedelta(days=1)).isoformat()


class World:
    """Commitments and party streams sharing one log order."""

    def __init__(self) -> None:
        self.positions = itertools.count(1)
        self.parties = {p: Party(p, self.positions) for p in ("acme", "beta", "watch", "press")}

    def commitment(self, cid: str, promisor: str = "acme", **fields: Any) -> Ledger:
        ledger = Ledger(cid, positions=self.positions)
        promisees = ["beta"] if promisor == "acme" else ["acme"]
        ledger.make(promisor=promisor, promisees=promisees, made_at="2024-01-10", **fields)
        ledger.parties = streams_of(list(self.parties.values()))
        return ledger


def assess(
    ledger: Ledger, by: str, verdict: str, strength: str, occurred_at: str, **extra: Any
) -> RecordedEvent:
    """An assessment written by `by` as its assessor, recorded the next day."""
    return ledger.assess(
        by, verdict, strength, occurred_at, by=by, recorded_at=next_day(occurred_at), **extra
    )


def relief(
    ledger: Ledger, by: str, body: dict[str, Any], recorded_at: str | None = None
) -> RecordedEvent:
    return ledger.post(body, recorded_at or next_day(body["occurred_at"]), by=by)


def summary(status: CommitmentStatus | None) -> tuple[str, str, str, bool]:
    assert status is not None
    return (status.verdict, status.schedule, status.basis, status.disputed)


def test_example_1_the_promisor_cannot_certify_itself() -> None:
    c = World().commitment("acme-ceasefire")
    breach = assess(c, "watch", "breached", "verified", "2024-02-01")
    denial = assess(c, "acme", "fulfilled", "verified", "2024-02-05")
    status = c.must(as_of="2024-02-10")
    assert summary(status) == ("breached", "no_deadline", "independent", True)
    assert status.decided_by == str(breach.event_id)
    mine = next(a for a in status.assessments if a.event_id == str(denial.event_id))
    assert (mine.stated_strength, mine.strength, mine.self_assessment) == (
        "verified",
        "claimed",
        True,
    )
    assert mine.recorded_by == "acme"
    theirs = next(a for a in status.assessments if a.event_id == str(breach.event_id))
    assert (theirs.strength, theirs.self_assessment, theirs.recorded_by) == (
        "verified",
        False,
        "watch",
    )


def test_example_1_legacy_events_are_attributed_to_their_assessor() -> None:
    c = World().commitment("acme-ceasefire")
    c.assess("watch", "breached", "verified", "2024-02-01", recorded_at="2024-02-02")
    c.assess("acme", "fulfilled", "verified", "2024-02-05", recorded_at="2024-02-06")
    status = c.must(as_of="2024-02-10")
    assert summary(status) == ("breached", "no_deadline", "independent", True)
    assert [a.recorded_by for a in status.assessments] == [None, None]


def example_2() -> dict[str, Ledger]:
    world = World()
    made = {"due_by": "2024-06-30"}
    a, b, c, d = (world.commitment(f"acme-{x}", **made) for x in "abcd")
    assess(a, "acme", "fulfilled", "claimed", "2024-05-01")
    assess(b, "press", "fulfilled", "reported", "2024-05-02")
    assess(c, "watch", "breached", "verified", "2024-07-05")
    assess(d, "beta", "fulfilled", "claimed", "2024-06-20")
    return {"A": a, "B": b, "C": c, "D": d}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("A", ("fulfilled", "met_on_time", "self_reported", False)),
        ("B", ("fulfilled", "met_on_time", "independent", False)),
        ("C", ("breached", "overdue", "independent", False)),
        ("D", ("fulfilled", "met_on_time", "claimed", False)),
    ],
)
def test_example_2_statuses(name: str, expected: tuple[str, str, str, bool]) -> None:
    assert summary(example_2()[name].must(as_of="2024-07-10")) == expected


def test_example_2_claims_are_left_out_of_kept_ratio() -> None:
    tally = party_compliance(c.must(as_of="2024-07-10") for c in example_2().values())
    assert tally.kept_ratio == 0.5
    assert tally.bases == {"independent": 2, "claimed": 1, "self_reported": 1, "none": 0}
    assert tally.unverified_outcomes == 2
    assert tally.total == 4


def example_3(agreed: bool) -> tuple[Ledger, RecordedEvent]:
    c = World().commitment("acme-withdraw", due_by="2024-03-31")
    change = {"type": "deadline_changed", "due_by": "2024-06-30", "occurred_at": "2024-03-15"}
    request = relief(c, "acme", change)
    if agreed:
        body = {
            "type": "change_agreed",
            "agrees": str(request.event_id),
            "occurred_at": "2024-04-20",
        }
        relief(c, "beta", body, recorded_at="2024-04-22")
    else:
        assess(c, "beta", "breached", "claimed", "2024-04-02")
    assess(c, "press", "fulfilled", "reported", "2024-05-20", effective_at="2024-05-18")
    return c, request


def test_example_3a_an_unagreed_deadline_change_is_a_request() -> None:
    c, request = example_3(agreed=False)
    status = c.must(as_of="2024-04-10")
    assert summary(status) == ("breached", "overdue", "claimed", True)
    assert status.due_by == end("2024-03-31")
    assert status.requested_due_by == end("2024-06-30")
    assert [(r.event_id, r.type, r.recorded_by) for r in status.requests] == [
        (str(request.event_id), "deadline_changed", "acme")
    ]
    assert status.requests[0].due_by == end("2024-06-30")
    later = c.must(as_of="2024-06-01")
    assert summary(later) == ("fulfilled", "met_late", "independent", True)
    assert later.due_by == end("2024-03-31")


@pytest.mark.parametrize(
    ("as_of", "known_at", "verdict", "schedule", "due_by", "requests", "disputed"),
    [
        ("2024-04-25", "2024-04-21", "not_assessed", "overdue", "2024-03-31", 1, False),
        ("2024-04-25", FAR, "not_assessed", "not_due", "2024-06-30", 0, False),
        ("2024-06-01", FAR, "fulfilled", "met_on_time", "2024-06-30", 0, False),
    ],
)
def test_example_3b_the_agreed_change_binds_once_known(
    as_of: str,
    known_at: str,
    verdict: str,
    schedule: str,
    due_by: str,
    requests: int,
    disputed: bool,
) -> None:
    c, request = example_3(agreed=True)
    status = c.must(as_of=as_of, known_at=known_at)
    assert (status.verdict, status.schedule, status.disputed) == (verdict, schedule, disputed)
    assert status.due_by == end(due_by)
    assert [r.event_id for r in status.requests] == [str(request.event_id)] * requests


def test_example_4_a_later_condition_failure_keeps_the_fulfilment() -> None:
    c = World().commitment(
        "acme-release", due_by="2024-03-31", conditions=[{"id": "c1", "text": "release"}]
    )
    assess(c, "watch", "fulfilled", "verified", "2024-02-12", effective_at="2024-02-10")
    failure = relief(
        c, "watch", {"type": "condition_failed", "condition": "c1", "occurred_at": "2024-03-01"}
    )
    status = c.must(as_of="2024-03-05")
    assert summary(status) == ("fulfilled", "met_on_time", "independent", False)
    assert status.closure is not None
    assert (status.closure.type, status.closure.event_id) == (
        "condition_failed",
        str(failure.event_id),
    )


def example_4_dissolution() -> tuple[dict[str, Ledger], RecordedEvent]:
    world = World()
    aid = world.commitment("acme-aid")
    assess(aid, "acme", "in_progress", "claimed", "2024-02-01")
    talks = world.commitment("beta-talks", promisor="beta", due_by="2024-02-28")
    assess(talks, "press", "fulfilled", "reported", "2024-03-05", effective_at="2024-03-04")
    vote = world.commitment("beta-vote", promisor="beta", due_by="2024-09-30")
    dissolution = world.parties["beta"].dissolve("2024-04-01", by="watch", recorded_at="2024-04-01")
    return {"acme-aid": aid, "beta-talks": talks, "beta-vote": vote}, dissolution


def test_example_4_the_promisees_ceasing_lapses_the_commitment() -> None:
    ledgers, dissolution = example_4_dissolution()
    status = ledgers["acme-aid"].must(as_of="2024-04-02")
    assert summary(status) == ("lapsed", "closed", "none", False)
    assert status.decided_by == str(dissolution.event_id)
    assert status.closure is not None and status.closure.type == "promisees_dissolved"
    before = ledgers["acme-aid"].must(as_of="2024-03-31")
    assert (before.verdict, before.schedule, before.closure) == ("in_progress", "no_deadline", None)


def test_example_4_a_fulfilment_before_the_promisor_ceased_stands() -> None:
    ledgers, dissolution = example_4_dissolution()
    status = ledgers["beta-talks"].must(as_of="2024-04-02")
    assert summary(status) == ("fulfilled", "met_late", "independent", False)
    assert status.closure is not None
    assert (status.closure.type, status.closure.event_id) == (
        "promisor_dissolved",
        str(dissolution.event_id),
    )


def test_example_4_the_promisor_ceasing_lapses_an_open_commitment() -> None:
    ledgers, dissolution = example_4_dissolution()
    status = ledgers["beta-vote"].must(as_of="2024-04-02")
    assert (status.verdict, status.schedule, status.decided_by) == (
        "lapsed",
        "closed",
        str(dissolution.event_id),
    )
    assert ledgers["beta-vote"].must(as_of="2024-03-31").verdict == "not_assessed"


def test_a_party_cannot_dissolve_itself_out_of_its_promises() -> None:
    world = World()
    vote = world.commitment("beta-vote", promisor="beta", due_by="2024-09-30")
    world.parties["beta"].dissolve("2024-04-01", by="beta")
    assert vote.must(as_of="2024-04-02").verdict == "not_assessed"


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2024-04-30", ("not_assessed", "not_due", "none", False)),
        ("2024-05-01", ("breached", "overdue", "independent", False)),
        ("2024-05-03", ("breached", "overdue", "independent", True)),
    ],
)
def test_example_5_the_due_day_and_a_denial(
    as_of: str, expected: tuple[str, str, str, bool]
) -> None:
    c = World().commitment("acme-report", due_by="2024-05-01")
    assess(c, "watch", "breached", "verified", "2024-05-01")
    assess(c, "acme", "fulfilled", "verified", "2024-05-02")
    assert summary(c.must(as_of=as_of)) == expected


def test_a_promisee_agrees_once_and_only_to_relief_by_the_promisor() -> None:
    c = World().commitment("acme-agree", due_by="2024-03-31")
    change = {"type": "deadline_changed", "due_by": "2024-06-30", "occurred_at": "2024-03-15"}
    request = relief(c, "acme", change)
    legacy = c.post(change | {"occurred_at": "2024-03-16"})
    review = assess(c, "watch", "breached", "verified", "2024-03-20")
    agree = {"type": "change_agreed", "agrees": str(request.event_id), "occurred_at": "2024-04-01"}
    relief(c, "beta", agree)
    with pytest.raises(AlreadyAgreed):
        relief(c, "beta", agree | {"occurred_at": "2024-04-02"})
    for target in (legacy, review):
        with pytest.raises(ValidationFailed) as refused:
            relief(c, "beta", agree | {"agrees": str(target.event_id)})
        assert refused.value.field == "agrees"
    c.correct(request, recorded_at="2024-04-05")
    with pytest.raises(ValidationFailed):
        relief(c, "watch", agree | {"occurred_at": "2024-04-06"})
