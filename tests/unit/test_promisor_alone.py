"""Property: the promisor alone cannot better its own standing (rules v2, R1, R2, R5, R9).

Any history (legacy events, promisees, monitors, dissolutions, agreements) plus any events
written by the promisor: assessments of any verdict and stated strength, deadline changes,
withdrawals, supersessions, condition failures, agreements, and its own dissolution. Compared with
the history alone, the verdict and the schedule are never better unless the new answer rests on a
claim (basis `claimed` or `self_reported`, shown as such), an `independent` answer does not move at
all, and the tally's kept_ratio never rises.

Left out on purpose, as the rules say: `condition_met`/`condition_waived` bind whoever writes them
(rules v2, section 5), and corrections are not statements but retractions of the writer's own
events; a promisor's dissolution of its promisees needs a `verified` grant (checked at write time).
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from service.domain.errors import DomainError
from service.domain.status import CommitmentStatus
from service.domain.tallies import party_compliance
from tests.unit.commitment_ledger import FAR, Ledger, Party, streams_of

DAY0 = date(2022, 1, 1)
PROMISOR = "p"
PROMISEES = ["q", "r"]
WRITERS = [None, PROMISOR, "q", "r", "w"]  # None: a legacy event; w: a monitor
VERDICT_RANK = {
    "breached": 0,
    "stalled": 1,
    "unverifiable": 1,
    "not_assessed": 1,
    "pending_condition": 1,
    "in_progress": 2,
    "lapsed": 2,
    "superseded": 2,
    "withdrawn": 2,
    "partially_fulfilled": 3,
    "fulfilled": 4,
}
SCHEDULE_RANK = {
    "overdue": 0,
    "met_late": 1,
    "not_due": 2,
    "no_deadline": 2,
    "closed": 2,
    "met_on_time": 3,
}
CLAIMS = ("claimed", "self_reported")


def day(n: int) -> str:
    return (DAY0 + timedelta(days=n)).isoformat()


days = st.integers(min_value=0, max_value=30)
assessment = st.fixed_dictionaries(
    {
        "type": st.just("assessment_recorded"),
        "verdict": st.sampled_from(
            ["breached", "in_progress", "stalled", "fulfilled", "partially_fulfilled"]
        ),
        "strength": st.sampled_from(["claimed", "reported", "verified"]),
    }
)
relief = st.one_of(
    st.builds(lambda d: {"type": "deadline_changed", "due_by": day(d)}, days),
    st.just({"type": "withdrawn"}),
    st.just({"type": "superseded", "by": "other"}),
    st.just({"type": "condition_failed", "condition": "x"}),
)
resolution = st.sampled_from(
    [{"type": "condition_met", "condition": "x"}, {"type": "condition_waived", "condition": "x"}]
)
# (kind, body, occurred day, recording lag, writer index)
step = st.tuples(
    st.sampled_from(["body", "body", "agree", "dissolve"]),
    st.one_of(assessment, assessment, relief, resolution),
    days,
    st.integers(0, 5),
    st.integers(0, len(WRITERS) - 1),
)
promisor_step = st.tuples(
    st.sampled_from(["body", "body", "agree", "dissolve"]),
    st.one_of(assessment, relief),
    days,
    st.integers(0, 5),
)


class World:
    def __init__(self, due: int | None) -> None:
        positions = itertools.count(1)
        self.parties = {p: Party(p, positions) for p in [PROMISOR, *PROMISEES]}
        self.ledger = Ledger("c", positions=positions)
        made: dict[str, Any] = {"conditions": [{"id": "x", "text": "x"}]}
        if due is not None:
            made["due_by"] = day(due)
        self.ledger.make(promisor=PROMISOR, promisees=PROMISEES, made_at=day(0), **made)
        self.ledger.parties = streams_of(list(self.parties.values()))

    def apply(self, kind: str, body: dict[str, Any], occurred: int, lag: int, by: str | None):
        """One step; a step the domain refuses (a second dissolution, nothing to agree to) is
        dropped, as the API would refuse it."""
        recorded = day(occurred + lag)
        try:
            if kind == "dissolve":
                target = PROMISOR if by in (None, PROMISOR, "w") else by
                self.parties[target].dissolve(day(occurred), by=by, recorded_at=recorded)
            elif kind == "agree":
                self._agree(occurred, recorded, by)
            else:
                extra: dict[str, Any] = {"occurred_at": day(occurred)}
                if body["type"] == "assessment_recorded":
                    extra["assessor"] = by or "w"
                self.ledger.post(body | extra, recorded_at=recorded, by=by)
        except DomainError:
            pass

    def _agree(self, occurred: int, recorded: str, by: str | None) -> None:
        mine = [e for e in self.ledger.events if e.metadata.get("recorded_by") == PROMISOR]
        targets = [e for e in mine if e.type != "assessment_recorded"]
        if targets:
            body = {
                "type": "change_agreed",
                "agrees": str(targets[occurred % len(targets)].event_id),
            }
            self.ledger.post(body | {"occurred_at": day(occurred)}, recorded_at=recorded, by=by)

    def status(self, v: int, k: int) -> CommitmentStatus:
        status = self.ledger.status(day(v), day(k) if k < 60 else FAR)
        assert status is not None
        return status


def better(after: CommitmentStatus, before: CommitmentStatus) -> bool:
    return (
        VERDICT_RANK[after.verdict] > VERDICT_RANK[before.verdict]
        or SCHEDULE_RANK[after.schedule] > SCHEDULE_RANK[before.schedule]
    )


def kept(status: CommitmentStatus) -> float:
    ratio = party_compliance([status]).kept_ratio
    return -1.0 if ratio is None else ratio


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(st.none(), days),
    st.lists(step, max_size=12),
    st.lists(promisor_step, min_size=1, max_size=6),
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 60)), min_size=1, max_size=4),
)
def test_the_promisor_alone_cannot_better_its_standing(
    due: int | None,
    history: list[tuple[str, dict[str, Any], int, int, int]],
    added: list[tuple[str, dict[str, Any], int, int]],
    moments: list[tuple[int, int]],
) -> None:
    world = World(due)
    for kind, body, occurred, lag, writer in history:
        world.apply(kind, body, occurred, lag, WRITERS[writer])
    before = {m: world.status(*m) for m in moments}
    for kind, body, occurred, lag in added:
        world.apply(kind, body, occurred, lag, PROMISOR)
    for moment, old in before.items():
        new = world.status(*moment)
        assert kept(new) <= kept(old)
        if old.basis == "independent":
            same = ("verdict", "schedule", "basis", "due_by", "closure", "decided_by")
            assert {f: getattr(new, f) for f in same} == {f: getattr(old, f) for f in same}
        if better(new, old):
            assert new.basis in CLAIMS, (old, new)
