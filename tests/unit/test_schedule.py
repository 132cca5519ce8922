"""Rule 7 (schedule) and linked conditions of docs/compliance-rules.md."""

from __future__ import annotations

from service.domain.compliance import commitment_status, verdict_lookup
from tests.unit.commitment_ledger import FAR, Ledger, end


def due(due_by: str | None = "2021-05-01", **fields: object) -> Ledger:
    ledger = Ledger()
    ledger.make(**({"due_by": due_by} if due_by else {}), **fields)
    return ledger


def test_closed_for_superseded_withdrawn_and_lapsed() -> None:
    superseded, withdrawn = due(), due()
    lapsed = due(conditions=[{"id": "calm", "text": "violence falls"}])
    superseded.post({"type": "superseded", "by": "c2", "occurred_at": "2021-01-01"})
    withdrawn.post({"type": "withdrawn", "occurred_at": "2021-01-01"})
    lapsed.condition("failed", "calm", "2021-01-01")
    for ledger in (superseded, withdrawn, lapsed):
        assert ledger.must().schedule == "closed"


def test_closed_wins_over_no_deadline() -> None:
    ledger = due(None)
    ledger.post({"type": "withdrawn", "occurred_at": "2021-01-01"})
    assert ledger.must().schedule == "closed"


def test_no_deadline_even_when_fulfilled() -> None:
    ledger = due(None)
    assert ledger.must().schedule == "no_deadline"
    ledger.assess("a", "fulfilled", "verified", "2021-01-01")
    assert ledger.must().schedule == "no_deadline"


def test_met_on_time_uses_effective_at_not_occurred_at() -> None:
    ledger = due()
    ledger.assess(
        "a", "fulfilled", "reported", "2021-05-03", effective_at="2021-05-01T20:00:00+00:00"
    )
    assert ledger.must().schedule == "met_on_time"


def test_met_on_time_up_to_the_last_microsecond_of_a_bare_due_date() -> None:
    on_time, late = due(), due()
    last_instant = "2021-05-01T23:59:59.999999Z"
    on_time.assess("a", "fulfilled", "reported", "2021-05-03", effective_at=last_instant)
    late.assess("a", "fulfilled", "reported", "2021-05-03", effective_at="2021-05-02")
    assert on_time.must().schedule == "met_on_time"
    assert late.must().schedule == "met_late"


def test_effective_at_defaults_to_occurred_at() -> None:
    ledger = due()
    ledger.assess("a", "partially_fulfilled", "reported", "2021-05-02")
    status = ledger.must()
    assert (status.verdict, status.schedule) == ("partially_fulfilled", "met_late")
    assert status.assessments[0].effective_at == status.assessments[0].occurred_at


def test_met_is_judged_by_the_assessment_that_gave_the_verdict() -> None:
    ledger = due()
    ledger.assess("promisor", "fulfilled", "claimed", "2021-04-01")  # early, but weaker
    ledger.assess("monitor", "fulfilled", "verified", "2021-06-01")
    assert ledger.must().schedule == "met_late"


def test_met_is_judged_against_a_changed_deadline() -> None:
    ledger = due()
    ledger.post({"type": "deadline_changed", "due_by": "2021-08-31", "occurred_at": "2021-04-14"})
    ledger.assess("a", "fulfilled", "claimed", "2021-08-31", effective_at="2021-08-30")
    assert ledger.must().schedule == "met_on_time"


def test_overdue_from_the_due_instant() -> None:
    """Rules v2, R8: V >= due_by (v1 had V > due_by), so the due day itself is overdue."""
    ledger = due()
    assert ledger.must(as_of="2021-02-01").schedule == "not_due"
    assert ledger.must(as_of="2021-05-01T23:59:59.999998Z").schedule == "not_due"
    assert ledger.must(as_of="2021-05-01").schedule == "overdue"  # V = the due day's last instant
    assert ledger.must(as_of="2021-05-02T00:00:00Z").schedule == "overdue"


def test_an_unmet_verdict_before_the_deadline_is_not_due_and_after_it_overdue() -> None:
    ledger = due()
    ledger.assess("a", "breached", "verified", "2021-03-01")
    assert ledger.must(as_of="2021-03-02").schedule == "not_due"
    assert ledger.must(as_of="2021-05-02").schedule == "overdue"


def test_a_deadline_change_known_later_turns_overdue_into_not_due() -> None:
    ledger = due()
    ledger.post(
        {"type": "deadline_changed", "due_by": "2021-09-11", "occurred_at": "2021-04-14"},
        recorded_at="2021-05-10",
    )
    assert ledger.must(as_of="2021-05-02", known_at="2021-05-09").schedule == "overdue"
    assert ledger.must(as_of="2021-05-02", known_at="2021-05-10").schedule == "not_due"


# Linked conditions: the other commitment's verdict at the same (V, K), for information only.


def test_a_linked_condition_reports_the_other_commitments_verdict_without_using_it() -> None:
    pledge = Ledger("ties", first_position=100)
    pledge.make()
    pledge.assess("un", "breached", "verified", "2020-06-01", recorded_at="2020-06-05")
    ledger = due(conditions=[{"id": "guarantees", "text": "no safe haven", "commitment": "ties"}])
    lookup = verdict_lookup({"ties": pledge.events}, end("2020-07-01"), end(FAR))
    status = ledger.status(as_of="2020-07-01", linked=lookup)
    assert status is not None
    [condition] = status.conditions
    assert (condition.commitment, condition.commitment_verdict) == ("ties", "breached")
    assert (condition.state, status.verdict) == ("pending", "pending_condition")


def test_a_linked_verdict_is_taken_at_the_same_valid_and_transaction_times() -> None:
    pledge = Ledger("ties", first_position=100)
    pledge.make(made_at="2020-03-01")
    pledge.assess("un", "breached", "verified", "2020-06-01", recorded_at="2020-06-05")
    ledger = due(conditions=[{"id": "g", "text": "no safe haven", "commitment": "ties"}])
    streams = {"ties": pledge.events}

    def linked_at(as_of: str, known_at: str) -> str | None:
        lookup = verdict_lookup(streams, end(as_of), end(known_at))
        status = commitment_status(ledger.events, end(as_of), end(known_at), lookup)
        assert status is not None
        return status.conditions[0].commitment_verdict

    assert linked_at("2020-02-29", FAR) is None  # not yet made
    assert linked_at("2020-06-02", "2020-06-04") == "not_assessed"  # not yet known
    assert linked_at("2020-06-02", "2020-06-05") == "breached"
    assert verdict_lookup(streams, end(FAR), end(FAR))("unknown") is None


def test_without_a_lookup_a_linked_condition_has_no_verdict() -> None:
    ledger = due(conditions=[{"id": "g", "text": "no safe haven", "commitment": "ties"}])
    assert ledger.must().conditions[0].commitment_verdict is None
