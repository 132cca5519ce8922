"""Party and agreement tallies, kept_ratio, JSON form of a status, and the replay timeline."""

from __future__ import annotations

import json

import pytest

from service.domain.status import CommitmentStatus
from service.domain.tallies import agreement_compliance, party_compliance, timeline
from tests.unit.commitment_ledger import FAR, Ledger, end


def status_with(verdict: str, promisor: str = "p", *, commitment: str = "c") -> CommitmentStatus:
    ledger = Ledger(commitment)
    ledger.make(promisor=promisor, due_by="2021-05-01")
    if verdict != "not_assessed":
        ledger.assess("a", verdict, "reported", "2021-01-01")
    return ledger.must(as_of="2021-02-01")


def test_party_compliance_counts_every_verdict_and_schedule_and_skips_the_absent() -> None:
    tally = party_compliance(
        [status_with("fulfilled"), status_with("breached"), status_with("breached"), None]
    )
    assert tally.total == 3
    assert tally.verdicts["breached"] == 2 and tally.verdicts["fulfilled"] == 1
    assert tally.verdicts["withdrawn"] == 0 and len(tally.verdicts) == 11
    assert tally.schedules == {
        "closed": 0,
        "no_deadline": 0,
        "met_on_time": 1,
        "met_late": 0,
        "overdue": 0,
        "not_due": 2,
    }


@pytest.mark.parametrize(
    ("verdicts", "ratio"),
    [
        (["fulfilled", "breached"], 0.5),
        (["fulfilled", "partially_fulfilled", "breached", "breached"], 1.5 / 4),
        (["partially_fulfilled"], 0.5),
        (["fulfilled", "stalled", "in_progress", "not_assessed"], 1.0),
        (["stalled", "unverifiable", "not_assessed"], None),
        ([], None),
    ],
)
def test_kept_ratio(verdicts: list[str], ratio: float | None) -> None:
    assert party_compliance(status_with(v) for v in verdicts).kept_ratio == ratio


def test_agreement_compliance_tallies_per_promisor() -> None:
    tally = agreement_compliance(
        [
            status_with("fulfilled", "united-states"),
            status_with("breached", "taliban"),
            status_with("partially_fulfilled", "taliban"),
            None,
        ]
    )
    assert tally.overall.total == 3
    assert list(tally.promisors) == ["taliban", "united-states"]
    assert tally.promisors["taliban"].kept_ratio == 0.25
    assert tally.promisors["united-states"].verdicts["fulfilled"] == 1


def test_a_status_is_json_with_canonical_times() -> None:
    document = status_with("fulfilled").to_json()
    assert json.loads(json.dumps(document)) == document
    assert document["due_by"] == "2021-05-01T23:59:59.999999Z"
    assert document["assessments"][0]["effective_at"] == "2021-01-01T00:00:00.000000Z"
    assert document["schedule"] == "met_on_time"


def test_timeline_lists_events_by_valid_time_with_the_status_after_each() -> None:
    ledger = Ledger()
    ledger.make(made_at="2020-02-29", due_by="2021-05-01")
    ledger.assess("press", "stalled", "reported", "2021-02-18")
    ledger.assess("monitor", "in_progress", "verified", "2021-01-10")  # recorded out of order
    ledger.post({"type": "withdrawn", "occurred_at": "2021-06-01"})
    entries = timeline(ledger.events, end(FAR), end(FAR))
    assert [e.type for e in entries] == [
        "commitment_made",
        "assessment_recorded",
        "assessment_recorded",
        "deadline_passed",  # the clock alone: due 1 May, nothing happened until June
        "withdrawn",
    ]
    assert [e.status.verdict for e in entries if e.status] == [
        "not_assessed",
        "in_progress",
        "in_progress",
        "in_progress",
        "withdrawn",
    ]
    assert [e.status.disputed for e in entries if e.status] == [False, False, True, True, True]


def test_timeline_marks_corrected_events_and_leaves_the_status_unchanged_by_them() -> None:
    ledger = Ledger()
    ledger.make()
    wrong = ledger.assess("a", "breached", "reported", "2021-01-10")
    ledger.correct(wrong, recorded_at="2021-04-01")
    corrected = timeline(ledger.events, end(FAR), end(FAR))
    assert [(e.type, e.corrected) for e in corrected] == [
        ("commitment_made", False),
        ("assessment_recorded", True),
        ("correction_recorded", False),
    ]
    assert [e.status.verdict for e in corrected if e.status] == ["not_assessed"] * 3
    before = timeline(ledger.events, end(FAR), end("2021-03-31"))
    assert [(e.corrected, e.status.verdict) for e in before if e.status] == [
        (False, "not_assessed"),
        (False, "breached"),
    ]


def test_timeline_stops_at_as_of_and_judges_each_step_at_its_own_time() -> None:
    ledger = Ledger()
    ledger.make(due_by="2021-05-01")
    ledger.assess("a", "stalled", "reported", "2021-06-01")
    ledger.assess("a", "fulfilled", "reported", "2021-09-01")
    entries = timeline(ledger.events, end("2021-08-01"), end(FAR))
    assert [e.status.schedule for e in entries if e.status] == ["not_due", "overdue", "overdue"]
    passed = entries[1]
    assert (passed.type, passed.position, passed.recorded_at) == ("deadline_passed", None, None)
    assert passed.occurred_at == end("2021-05-01")


def test_timeline_shows_no_deadline_passing_before_as_of_or_once_met() -> None:
    ledger = Ledger()
    ledger.make(due_by="2021-05-01")
    ledger.assess("a", "fulfilled", "reported", "2021-04-01")
    assert "deadline_passed" not in [e.type for e in timeline(ledger.events, end(FAR), end(FAR))]
    early = Ledger()
    early.make(due_by="2021-05-01")
    assert [e.type for e in timeline(early.events, end("2021-04-30"), end(FAR))] == [
        "commitment_made"
    ]
    assert [e.type for e in timeline(early.events, end("2021-05-01"), end(FAR))] == [
        "commitment_made",
        "deadline_passed",
    ]
