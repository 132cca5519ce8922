"""A commitment's read row: the pure fold at the projector's clock, in the shape the tables keep.

Pure: no I/O, no clock reads (the projector passes `now`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from service.domain import events as ev
from service.domain.compliance import Parties, fold, met_at_of, schedule_of
from service.domain.events import Basis, Schedule, Verdict
from service.log.records import RecordedEvent, parse_time

# known_at for the current status: every event the projector has read. The database clock sets
# recorded_at, so asking "known at my clock" could drop a just-committed event on a skewed host.
EVERYTHING_KNOWN = datetime.max.replace(tzinfo=UTC)
# switch_at of a schedule that never changes with the clock.
NEVER = EVERYTHING_KNOWN
TICK = timedelta(microseconds=1)  # the resolution of every stored time


@dataclass(frozen=True, slots=True)
class ScheduleStep:
    """A schedule as a function of the reader's clock: `until` while now <= switch_at, then
    `after`. R8 only compares V with due_by, so one step describes it for every V."""

    until: Schedule
    after: Schedule
    switch_at: datetime


@dataclass(frozen=True, slots=True)
class StatusRow:
    """One row of commitment_status_current (verdict None: it does not exist at `folded_at`)."""

    commitment_id: str
    promisor: str
    promisees: list[str]
    agreement: str | None
    made_at: datetime
    verdict: Verdict | None
    basis: Basis
    disputed: bool
    due_by: datetime | None
    met_at: datetime | None
    step: ScheduleStep | None
    folded_at: datetime
    refold_at: datetime | None  # a known event occurs then: the fold changes at that time
    event_count: int
    last_position: int

    def tally_key(self) -> tuple[str, str, str, str, datetime] | None:
        """What this row adds to its promisor's and agreement's tallies; None: nothing."""
        if self.verdict is None or self.step is None:
            return None
        step = self.step
        return (self.verdict, self.basis, step.until, step.after, step.switch_at)


def schedule_step(
    verdict: Verdict, met_at: datetime | None, due_by: datetime | None
) -> ScheduleStep:
    """R8 (domain.compliance.schedule_of) asked just before due_by and at it: overdue from the
    due instant on, so the step switches one tick before it."""
    if due_by is None:
        fixed = schedule_of(verdict, met_at, None, NEVER)
        return ScheduleStep(fixed, fixed, NEVER)
    until = schedule_of(verdict, met_at, due_by, due_by - TICK)
    after = schedule_of(verdict, met_at, due_by, due_by)
    return ScheduleStep(until, after, due_by - TICK if until != after else NEVER)


def fold_row(events: Sequence[RecordedEvent], now: datetime, parties: Parties) -> StatusRow:
    """The current row of one commitment stream (its events in order, commitment_made first);
    `parties` holds at least the party-stream events the fold reads (R5) of its parties."""
    made = next(e for e in events if e.type == ev.COMMITMENT_MADE).data
    f = fold(events, as_of=now, known_at=EVERYTHING_KNOWN, parties=parties)
    verdict = met_at = due_by = step = None
    basis: Basis = "none"
    disputed = False
    if f is not None:
        verdict, basis, disputed, due_by = f.verdict, f.basis, f.disputed, f.due_by
        met_at = met_at_of(f.verdict, f.decider)
        step = schedule_step(f.verdict, met_at, f.due_by)
    return StatusRow(
        commitment_id=made["id"],
        promisor=made["promisor"],
        promisees=list(made["promisees"]),
        agreement=made.get("agreement"),
        made_at=parse_time(made["made_at"]),
        verdict=verdict,
        basis=basis,
        disputed=disputed,
        due_by=due_by,
        met_at=met_at,
        step=step,
        folded_at=now,
        refold_at=_refold_at(events, parties, [made["promisor"], *made["promisees"]], now),
        event_count=len(events),
        last_position=max(e.position for e in events),
    )


def _refold_at(
    events: Sequence[RecordedEvent], parties: Parties, party_ids: Sequence[str], now: datetime
) -> datetime | None:
    """The earliest occurred_at after `now` of a known event the fold reads: it changes then."""
    times = [e.occurred_at for e in events if e.occurred_at > now]
    for party_id in party_ids:
        times.extend(e.occurred_at for e in parties.get(party_id, ()) if e.occurred_at > now)
    return min(times, default=None)
