"""Rules 5 (verdict) and 6 (disputed) of docs/compliance-rules.md: given events -> when -> then."""

from __future__ import annotations

from tests.unit.commitment_ledger import Ledger

CONDITION = [{"id": "calm", "text": "violence falls"}]


def made(**fields: object) -> Ledger:
    ledger = Ledger()
    ledger.make(**fields)
    return ledger


# 5(a) superseded / withdrawn


def test_withdrawn_and_superseded_give_their_own_word() -> None:
    withdrawn, superseded = made(), made()
    withdrawn.post({"type": "withdrawn", "occurred_at": "2021-01-01"})
    superseded.post({"type": "superseded", "by": "c2", "occurred_at": "2021-01-01"})
    assert withdrawn.must().verdict == "withdrawn"
    assert superseded.must().verdict == "superseded"
    assert withdrawn.must(as_of="2020-12-31").verdict == "not_assessed"


def test_the_latest_of_superseded_and_withdrawn_wins() -> None:
    ledger = made()
    ledger.post({"type": "withdrawn", "occurred_at": "2021-03-01"})
    ledger.post({"type": "superseded", "by": "c2", "occurred_at": "2021-02-01"})
    assert ledger.must().verdict == "withdrawn"
    assert ledger.must(as_of="2021-02-15").verdict == "superseded"


def test_superseded_and_withdrawn_at_the_same_time_are_ordered_by_position() -> None:
    ledger = made()
    ledger.post({"type": "withdrawn", "occurred_at": "2021-03-01"})
    closing = ledger.post({"type": "superseded", "by": "c2", "occurred_at": "2021-03-01"})
    status = ledger.must()
    assert (status.verdict, status.decided_by) == ("superseded", str(closing.event_id))


def test_closing_beats_a_failed_condition_and_unmet_assessments() -> None:
    ledger = made(conditions=CONDITION)
    ledger.condition("failed", "calm", "2021-01-01")
    ledger.assess("a", "in_progress", "verified", "2021-01-02")
    closing = ledger.post({"type": "withdrawn", "occurred_at": "2021-01-03"})
    status = ledger.must()
    assert (status.verdict, status.decided_by) == ("withdrawn", str(closing.event_id))
    assert status.closure is not None and status.closure.type == "withdrawn"


def test_a_fulfilment_effective_before_the_closing_stands() -> None:
    """Rules v2, R4 (changed from v1, where the withdrawal won)."""
    ledger = made(conditions=CONDITION)
    ledger.condition("failed", "calm", "2021-01-01")
    ledger.assess("a", "fulfilled", "verified", "2021-01-02")
    ledger.post({"type": "withdrawn", "occurred_at": "2021-01-03"})
    assert ledger.must().verdict == "fulfilled"
    ledger.assess("a", "fulfilled", "verified", "2021-01-05", effective_at="2021-01-04")
    assert ledger.must().verdict == "withdrawn"  # took effect after the withdrawal


# 5(b) a failed condition -> lapsed


def test_a_failed_condition_lapses_the_commitment_even_when_assessed() -> None:
    ledger = made(conditions=CONDITION)
    ledger.assess("a", "breached", "verified", "2021-01-01")
    failed = ledger.condition("failed", "calm", "2021-02-01")
    status = ledger.must()
    assert (status.verdict, status.decided_by) == ("lapsed", str(failed.event_id))
    assert ledger.must(as_of="2021-01-31").verdict == "breached"


def test_a_fulfilment_before_a_condition_failed_stands() -> None:
    """Rules v2, R4 (changed from v1, where the failure lapsed it)."""
    ledger = made(conditions=CONDITION)
    fulfilled = ledger.assess("a", "fulfilled", "verified", "2021-01-01")
    failed = ledger.condition("failed", "calm", "2021-02-01")
    status = ledger.must()
    assert (status.verdict, status.decided_by) == ("fulfilled", str(fulfilled.event_id))
    assert status.closure is not None
    assert (status.closure.type, status.closure.event_id) == (
        "condition_failed",
        str(failed.event_id),
    )


def test_a_condition_that_failed_and_was_then_met_does_not_lapse() -> None:
    ledger = made(conditions=CONDITION)
    ledger.condition("failed", "calm", "2021-02-01")
    ledger.condition("met", "calm", "2021-03-01")
    assert ledger.must().verdict == "not_assessed"


# 5(c) assessments: latest per assessor, highest strength present, then the latest of those


def test_each_assessors_latest_assessment_counts() -> None:
    ledger = made()
    ledger.assess("a", "fulfilled", "reported", "2021-01-01")
    ledger.assess("a", "breached", "reported", "2021-02-01")
    status = ledger.must()
    assert status.verdict == "breached"
    assert [(v.assessor, v.verdict) for v in status.assessments] == [("a", "breached")]


def test_an_assessor_latest_is_by_occurred_at_not_by_recording_order() -> None:
    ledger = made()
    ledger.assess("a", "fulfilled", "reported", "2021-02-01")
    ledger.assess("a", "breached", "reported", "2021-01-01")  # a late report of an older view
    assert ledger.must().verdict == "fulfilled"


def test_the_highest_strength_wins_over_a_later_weaker_assessment() -> None:
    ledger = made()
    verified = ledger.assess("monitor", "breached", "verified", "2021-01-01")
    ledger.assess("press", "in_progress", "reported", "2021-02-01")
    ledger.assess("promisor", "fulfilled", "claimed", "2021-03-01")
    status = ledger.must()
    assert (status.verdict, status.decided_by) == ("breached", str(verified.event_id))


def test_strength_order_is_claimed_below_reported() -> None:
    ledger = made()
    ledger.assess("press", "stalled", "reported", "2021-01-01")
    ledger.assess("promisor", "fulfilled", "claimed", "2021-03-01")
    assert ledger.must().verdict == "stalled"


def test_among_the_strongest_the_latest_gives_the_verdict() -> None:
    ledger = made()
    ledger.assess("un", "breached", "verified", "2021-01-01")
    ledger.assess("audit", "partially_fulfilled", "verified", "2021-02-01")
    assert ledger.must().verdict == "partially_fulfilled"
    assert ledger.must(as_of="2021-01-15").verdict == "breached"


def test_equally_strong_assessments_at_the_same_time_are_ordered_by_position() -> None:
    ledger = made()
    ledger.assess("un", "breached", "verified", "2021-01-01")
    ledger.assess("audit", "unverifiable", "verified", "2021-01-01")
    assert ledger.must().verdict == "unverifiable"


def test_an_assessors_downgrade_removes_their_stronger_old_view() -> None:
    ledger = made()
    ledger.assess("un", "breached", "verified", "2021-01-01")
    ledger.assess("un", "fulfilled", "claimed", "2021-02-01")  # only the latest per assessor
    ledger.assess("press", "stalled", "reported", "2021-01-15")
    assert ledger.must().verdict == "stalled"


def test_assessments_beat_a_pending_condition() -> None:
    ledger = made(conditions=CONDITION)
    ledger.assess("a", "in_progress", "claimed", "2021-01-01")
    assert ledger.must().verdict == "in_progress"


# 5(d) pending_condition, 5(e) not_assessed


def test_a_pending_condition_without_assessments_gives_pending_condition() -> None:
    ledger = made(conditions=CONDITION)
    assert ledger.must().verdict == "pending_condition"
    ledger.condition("met", "calm", "2021-01-01")
    assert ledger.must().verdict == "not_assessed"


def test_a_waived_condition_is_not_pending() -> None:
    ledger = made(conditions=CONDITION)
    ledger.condition("waived", "calm", "2021-01-01")
    status = ledger.must()
    assert (status.verdict, status.decided_by) == ("not_assessed", None)


# Rule 6: disputed


def test_disputed_when_assessors_latest_verdicts_differ_whatever_their_strength() -> None:
    ledger = made()
    ledger.assess("un", "breached", "verified", "2021-01-01")
    assert ledger.must().disputed is False
    ledger.assess("taliban", "fulfilled", "claimed", "2021-02-01")
    status = ledger.must()
    assert (status.verdict, status.disputed) == ("breached", True)


def test_not_disputed_when_all_assessors_agree_on_their_latest() -> None:
    ledger = made()
    ledger.assess("un", "breached", "verified", "2021-01-01")
    ledger.assess("press", "fulfilled", "reported", "2021-01-02")
    assert ledger.must().disputed is True
    ledger.assess("press", "breached", "reported", "2021-01-03")
    assert ledger.must().disputed is False


def test_disputed_counts_only_effective_assessments() -> None:
    ledger = made()
    ledger.assess("un", "breached", "verified", "2021-01-01")
    ledger.assess("press", "fulfilled", "reported", "2021-03-01")
    assert ledger.must(as_of="2021-02-01").disputed is False
    assert ledger.must(as_of="2021-03-01").disputed is True


def test_disputed_still_reported_when_the_commitment_is_closed() -> None:
    ledger = made()
    ledger.assess("un", "breached", "verified", "2021-01-01")
    ledger.assess("press", "fulfilled", "reported", "2021-01-02")
    ledger.post({"type": "withdrawn", "occurred_at": "2021-01-03"})
    status = ledger.must()
    assert (status.verdict, status.disputed, len(status.assessments)) == ("withdrawn", True, 2)
