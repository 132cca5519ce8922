"""Rules 1-4 of docs/compliance-rules.md: given a commitment's events, when folded at (V, K)."""

from __future__ import annotations

from tests.unit.commitment_ledger import Ledger, end

# Rule 1: known events are those recorded by K, minus those named by a correction known at K.


def test_an_event_recorded_after_known_at_is_not_known() -> None:
    ledger = Ledger()
    ledger.make()
    ledger.assess("a", "breached", "reported", "2021-01-10", recorded_at="2021-03-01")
    assert ledger.must(known_at="2021-02-28").verdict == "not_assessed"
    assert ledger.must(known_at="2021-03-01").verdict == "breached"


def test_known_at_includes_an_event_recorded_at_exactly_that_instant() -> None:
    ledger = Ledger()
    ledger.make()
    ledger.assess("a", "breached", "reported", "2021-01-10", recorded_at="2021-03-01T12:00:00Z")
    assert ledger.must(known_at="2021-03-01T12:00:00Z").verdict == "breached"
    assert ledger.must(known_at="2021-03-01T11:59:59.999999Z").verdict == "not_assessed"


def test_a_correction_removes_the_event_from_the_time_it_is_recorded() -> None:
    ledger = Ledger()
    ledger.make()
    wrong = ledger.assess("a", "breached", "reported", "2021-01-10")
    ledger.correct(wrong, recorded_at="2021-04-01")
    assert ledger.must(known_at="2021-03-31").verdict == "breached"
    assert ledger.must(known_at="2021-04-01").verdict == "not_assessed"


def test_a_correction_acts_by_transaction_time_whatever_the_valid_time() -> None:
    ledger = Ledger()
    ledger.make()
    wrong = ledger.assess("a", "breached", "reported", "2021-01-10")
    ledger.correct(wrong, recorded_at="2021-04-01")  # its occurred_at is 2021-04-01 too
    # V is before the correction occurred, yet once it is known the corrected event is gone.
    assert ledger.must(as_of="2021-02-01", known_at="2021-05-01").verdict == "not_assessed"


def test_correcting_commitment_made_makes_the_commitment_not_exist() -> None:
    ledger = Ledger()
    made = ledger.make()
    ledger.correct(made, recorded_at="2021-04-01")
    assert ledger.status(known_at="2021-03-01") is not None
    assert ledger.status(known_at="2021-04-01") is None


def test_event_count_and_last_position_cover_every_event_known_at_k() -> None:
    ledger = Ledger(first_position=10)
    ledger.make()
    wrong = ledger.assess("a", "fulfilled", "claimed", "2021-01-10")
    ledger.correct(wrong, recorded_at="2021-04-01")
    ledger.assess("b", "stalled", "claimed", "2022-01-10")  # not effective at V, but known
    before = ledger.must(as_of="2021-06-01", known_at="2021-03-01")
    after = ledger.must(as_of="2021-06-01")
    assert (before.event_count, before.last_position) == (2, 11)
    assert (after.event_count, after.last_position) == (4, 13)


# Rule 2: effective events occurred by V; without an effective commitment_made there is nothing.


def test_a_commitment_does_not_exist_before_it_is_made() -> None:
    ledger = Ledger()
    ledger.make(made_at="2020-02-29T10:00:00Z")
    assert ledger.status(as_of="2020-02-28") is None
    assert ledger.status(as_of="2020-02-29T09:59:59Z") is None
    assert ledger.status(as_of="2020-02-29") is not None  # a bare as_of is the end of that day


def test_a_commitment_recorded_after_known_at_does_not_exist() -> None:
    ledger = Ledger()
    ledger.make(made_at="2020-02-29", recorded_at="2020-03-05")
    assert ledger.status(known_at="2020-03-04") is None
    assert ledger.status(known_at="2020-03-05") is not None


def test_evidence_that_occurs_after_as_of_is_not_effective() -> None:
    ledger = Ledger()
    ledger.make()
    ledger.assess("a", "fulfilled", "verified", "2021-01-10")
    assert ledger.must(as_of="2021-01-09").verdict == "not_assessed"
    assert ledger.must(as_of="2021-01-10").verdict == "fulfilled"


# Rule 3: due_by.


def test_due_by_is_the_commitments_own_and_a_bare_date_means_the_end_of_that_day() -> None:
    ledger = Ledger()
    ledger.make(due_by="2021-05-01")
    assert ledger.must().due_by == end("2021-05-01T23:59:59.999999Z")


def test_an_effective_deadline_change_replaces_due_by() -> None:
    ledger = Ledger()
    ledger.make(due_by="2021-05-01")
    ledger.post({"type": "deadline_changed", "due_by": "2021-09-11", "occurred_at": "2021-04-14"})
    assert ledger.must(as_of="2021-04-13").due_by == end("2021-05-01")
    assert ledger.must(as_of="2021-04-14").due_by == end("2021-09-11")


def test_the_latest_deadline_change_is_by_occurred_at_not_by_recording_order() -> None:
    ledger = Ledger()
    ledger.make(due_by="2021-05-01")
    ledger.post({"type": "deadline_changed", "due_by": "2021-08-31", "occurred_at": "2021-07-08"})
    ledger.post({"type": "deadline_changed", "due_by": "2021-09-11", "occurred_at": "2021-04-14"})
    assert ledger.must().due_by == end("2021-08-31")


def test_deadline_changes_that_occur_at_the_same_time_are_ordered_by_position() -> None:
    ledger = Ledger()
    ledger.make(due_by="2021-05-01")
    ledger.post({"type": "deadline_changed", "due_by": "2021-09-11", "occurred_at": "2021-04-14"})
    ledger.post({"type": "deadline_changed", "due_by": "2021-06-30", "occurred_at": "2021-04-14"})
    assert ledger.must().due_by == end("2021-06-30")


def test_a_deadline_change_can_give_a_deadline_to_a_commitment_without_one() -> None:
    ledger = Ledger()
    ledger.make()
    assert ledger.must().due_by is None
    ledger.post({"type": "deadline_changed", "due_by": "2021-06-30", "occurred_at": "2021-04-14"})
    assert ledger.must().due_by == end("2021-06-30")


# Rule 4: condition states.

CONDITIONS = [{"id": "talks", "text": "talks start"}, {"id": "calm", "text": "violence falls"}]


def states(ledger: Ledger, as_of: str = "2100-01-01") -> dict[str, str]:
    return {c.id: c.state for c in ledger.must(as_of=as_of).conditions}


def test_a_condition_is_pending_until_an_effective_event_names_it() -> None:
    ledger = Ledger()
    ledger.make(conditions=CONDITIONS)
    ledger.condition("met", "talks", "2020-09-12")
    assert states(ledger, "2020-09-11") == {"talks": "pending", "calm": "pending"}
    assert states(ledger) == {"talks": "met", "calm": "pending"}


def test_each_condition_event_sets_its_own_state() -> None:
    for kind, state in [("met", "met"), ("failed", "failed"), ("waived", "waived")]:
        ledger = Ledger()
        ledger.make(conditions=CONDITIONS)
        event = ledger.condition(kind, "calm", "2020-09-12")
        [_, calm] = ledger.must().conditions
        assert (calm.state, calm.event_id) == (state, str(event.event_id))


def test_the_latest_condition_event_by_occurred_at_wins() -> None:
    ledger = Ledger()
    ledger.make(conditions=CONDITIONS)
    ledger.condition("met", "calm", "2021-03-01")
    ledger.condition("failed", "calm", "2021-02-01")  # recorded later, occurred earlier
    assert states(ledger)["calm"] == "met"
    assert states(ledger, "2021-02-15")["calm"] == "failed"


def test_condition_events_at_the_same_time_are_ordered_by_position() -> None:
    ledger = Ledger()
    ledger.make(conditions=CONDITIONS)
    ledger.condition("failed", "calm", "2021-02-01")
    ledger.condition("waived", "calm", "2021-02-01")
    assert states(ledger)["calm"] == "waived"
