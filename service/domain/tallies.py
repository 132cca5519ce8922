"""Compliance tallies of a party's or an agreement's commitments, and a commitment's timeline."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from service.domain import events as ev
from service.domain.compliance import (
    Linked,
    Parties,
    commitment_status,
    corrected_ids,
    latest_key,
)
from service.domain.fold import NO_PARTIES
from service.domain.relief import writer
from service.domain.status import AgreementTally, CommitmentStatus, Tally, TimelineEntry
from service.log.records import RecordedEvent

OUTCOMES = ("fulfilled", "partially_fulfilled", "breached")
CLAIMS = ("claimed", "self_reported")


def party_compliance(statuses: Iterable[CommitmentStatus | None]) -> Tally:
    """Counts per verdict, schedule and basis, kept_ratio and unverified_outcomes; None entries
    (not existing) are skipped.

    R9: kept_ratio = (f + 0.5 p) / (f + p + b) over the commitments whose basis is independent
    (f fulfilled, p partially_fulfilled, b breached), None when that divisor is 0;
    unverified_outcomes counts those outcomes resting on a claim only.
    """
    return tally_counts((s.verdict, s.schedule, s.basis, 1) for s in statuses if s is not None)


def tally_counts(groups: Iterable[tuple[str, str, str, int]]) -> Tally:
    """The tally of commitments given as (verdict, schedule, basis, how many) groups; see
    party_compliance. Read models that store counts call this, so the ratio is written once."""
    verdicts: dict[str, int] = dict.fromkeys(ev.VERDICTS, 0)
    schedules: dict[str, int] = dict.fromkeys(ev.SCHEDULES, 0)
    bases: dict[str, int] = dict.fromkeys(ev.BASES, 0)
    independent: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
    unverified = 0
    for verdict, schedule, basis, n in groups:
        verdicts[verdict] += n
        schedules[schedule] += n
        bases[basis] += n
        if verdict in OUTCOMES:
            if basis == "independent":
                independent[verdict] += n
            elif basis in CLAIMS:
                unverified += n
    kept, partly = independent["fulfilled"], independent["partially_fulfilled"]
    divisor = kept + partly + independent["breached"]
    return Tally(
        total=sum(verdicts.values()),
        verdicts=verdicts,
        schedules=schedules,
        bases=bases,
        kept_ratio=None if divisor == 0 else (kept + 0.5 * partly) / divisor,
        unverified_outcomes=unverified,
    )


def agreement_compliance(statuses: Iterable[CommitmentStatus | None]) -> AgreementTally:
    """An agreement's tally over all its commitments and per promisor (promisor ids sorted)."""
    present = [s for s in statuses if s is not None]
    promisors = sorted({s.promisor for s in present})
    return AgreementTally(
        overall=party_compliance(present),
        promisors={p: party_compliance(s for s in present if s.promisor == p) for p in promisors},
    )


def timeline(
    events: Sequence[RecordedEvent],
    as_of: datetime,
    known_at: datetime,
    linked: Linked | None = None,
    parties: Parties = NO_PARTIES,
) -> list[TimelineEntry]:
    """Events known at known_at that occurred by as_of, in valid-time order, each with the status
    right after it: the fold, as of the event's occurred_at, over the events up to and including
    it (ordered by occurred_at, then position) and every correction known at known_at. A corrected
    event is listed, marked, and leaves the status as it was.
    """
    recorded = [e for e in events if e.recorded_at <= known_at]
    corrected = corrected_ids(recorded, known_at)
    corrections = [e for e in recorded if e.type == ev.CORRECTION_RECORDED]
    shown = sorted((e for e in recorded if e.occurred_at <= as_of), key=latest_key)
    entries = []
    for i, event in enumerate(shown):
        prefix = shown[: i + 1] + [c for c in corrections if c not in shown[: i + 1]]
        status = commitment_status(prefix, event.occurred_at, known_at, linked, parties)
        entries.append(
            TimelineEntry(
                position=event.position,
                event_id=str(event.event_id),
                type=event.type,
                occurred_at=event.occurred_at,
                recorded_at=event.recorded_at,
                recorded_by=writer(event),
                corrected=str(event.event_id) in corrected,
                data=event.data,
                status=status,
            )
        )
        until = shown[i + 1].occurred_at if i + 1 < len(shown) else None
        passed = _deadline_passed(status, until, as_of, prefix, known_at, linked, parties)
        if passed is not None:
            entries.append(passed)
    return entries


def _deadline_passed(
    status: CommitmentStatus | None,
    until: datetime | None,
    as_of: datetime,
    prefix: Sequence[RecordedEvent],
    known_at: datetime,
    linked: Linked | None,
    parties: Parties,
) -> TimelineEntry | None:
    """The moment the due instant passes before the next event (or by as_of), when the clock
    alone changes the schedule there (R8: overdue from the due instant itself)."""
    if status is None or status.due_by is None or status.schedule != "not_due":
        return None
    due = status.due_by
    if not (due < until if until is not None else due <= as_of):
        return None
    then = commitment_status(prefix, due, known_at, linked, parties)
    if then is None or then.schedule == status.schedule:
        return None
    return TimelineEntry(
        position=None,
        event_id=None,
        type="deadline_passed",
        occurred_at=due,
        recorded_at=None,
        corrected=False,
        data={},
        status=then,
    )
