"""Every audit run checks the new events and re-checks a random sample of the older ones."""

from __future__ import annotations

from service.ledger.audit import DEFAULT_SAMPLE, positions_to_check


def test_new_events_all_and_old_ones_sampled() -> None:
    positions = positions_to_check(5000, 5100, DEFAULT_SAMPLE)
    assert set(range(5001, 5101)) <= set(positions)
    old = [p for p in positions if p <= 5000]
    assert len(old) == len(set(old)) == DEFAULT_SAMPLE and min(old) >= 1
    assert positions == sorted(positions)


def test_a_small_log_is_checked_whole_and_sample_zero_checks_only_new_events() -> None:
    assert positions_to_check(100, 120, DEFAULT_SAMPLE) == list(range(1, 121))
    assert positions_to_check(100, 120, 0) == list(range(101, 121))
    assert positions_to_check(0, 10, DEFAULT_SAMPLE) == list(range(1, 11))


def test_runs_draw_different_samples() -> None:
    draws = {tuple(positions_to_check(1_000_000, 1_000_000, 8)) for _ in range(5)}
    assert len(draws) > 1
