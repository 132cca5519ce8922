"""The commitments vocabulary: stream ids, event types, verdicts, strengths and schedules.

Event `data` shapes (times are canonical strings, "YYYY-MM-DDTHH:MM:SS.ffffffZ"; optional fields
are omitted when absent, never null). Each event's `data` is its request body, validated and
normalised, without `type` and without `occurred_at` (which lives in the event envelope):

  party_registered      {id, name, kind}                            occurred_at = now (recorded)
  agreement_recorded    {id, title, parties, signed_at?, source?}   occurred_at = signed_at or now
  commitment_made       {id, promisor, promisees, text, made_at, source, agreement?, due_by?,
                         conditions?: [{id, text, commitment?}],
                         measure?: {target, unit, comparator}}      occurred_at = made_at
  assessment_recorded   {assessor, verdict, strength, effective_at (always filled), source,
                         note?, level?, measure_value?}
  condition_met / condition_failed / condition_waived   {condition, source}
  deadline_changed      {due_by, source, note?}
  superseded            {by, source}
  withdrawn             {source, note?}
  change_agreed         {agrees (event_id as str), source, note?}  a promisee agrees to a relief
  correction_recorded   {corrects (event_id as str), reason}        occurred_at = now (recorded)
  party_dissolved       {source, note?}                  (on a party stream) the party ceases
  (source = {url?, title?, quote?, published_at?})
The writer of an event is its metadata's `recorded_by` (a party id; absent on legacy events).
"""

from __future__ import annotations

from typing import Final, Literal, get_args

PARTY_REGISTERED: Final = "party_registered"
AGREEMENT_RECORDED: Final = "agreement_recorded"
COMMITMENT_MADE: Final = "commitment_made"
ASSESSMENT_RECORDED: Final = "assessment_recorded"
CONDITION_MET: Final = "condition_met"
CONDITION_FAILED: Final = "condition_failed"
CONDITION_WAIVED: Final = "condition_waived"
DEADLINE_CHANGED: Final = "deadline_changed"
SUPERSEDED: Final = "superseded"
WITHDRAWN: Final = "withdrawn"
CORRECTION_RECORDED: Final = "correction_recorded"
CHANGE_AGREED: Final = "change_agreed"
PARTY_DISSOLVED: Final = "party_dissolved"

CONDITION_EVENTS: Final = frozenset({CONDITION_MET, CONDITION_FAILED, CONDITION_WAIVED})
CLOSING_EVENTS: Final = frozenset({SUPERSEDED, WITHDRAWN})
# Rules v2, R2: the events that postpone or end the promisor's duty bind only when the promisor
# is not their sole author.
RELIEF_EVENTS: Final = frozenset({DEADLINE_CHANGED, CONDITION_FAILED} | CLOSING_EVENTS)
EVIDENCE_EVENTS: Final = frozenset(
    {ASSESSMENT_RECORDED, DEADLINE_CHANGED, CORRECTION_RECORDED, CHANGE_AGREED}
    | CONDITION_EVENTS
    | CLOSING_EVENTS
)
# The party-stream events the compliance fold reads (R5).
PARTY_FOLD_EVENTS: Final = frozenset({PARTY_DISSOLVED, CORRECTION_RECORDED})

AssessedVerdict = Literal[
    "in_progress", "stalled", "fulfilled", "partially_fulfilled", "breached", "unverifiable"
]
Verdict = Literal[
    "in_progress",
    "stalled",
    "fulfilled",
    "partially_fulfilled",
    "breached",
    "unverifiable",
    "superseded",
    "withdrawn",
    "lapsed",
    "pending_condition",
    "not_assessed",
]
Strength = Literal["claimed", "reported", "verified"]
ConditionState = Literal["pending", "met", "failed", "waived"]
Schedule = Literal["closed", "no_deadline", "met_on_time", "met_late", "overdue", "not_due"]
Comparator = Literal["<", "<=", "=", ">=", ">"]
# R7: what a verdict rests on.
Basis = Literal["independent", "claimed", "self_reported", "none"]
ClosureType = Literal[
    "superseded", "withdrawn", "condition_failed", "promisor_dissolved", "promisees_dissolved"
]

VERDICTS: Final[tuple[Verdict, ...]] = get_args(Verdict)
SCHEDULES: Final[tuple[Schedule, ...]] = get_args(Schedule)
BASES: Final[tuple[Basis, ...]] = get_args(Basis)
# claimed (a party's own statement) < reported (press or official) < verified (independent).
STRENGTH_RANK: Final[dict[str, int]] = {"claimed": 0, "reported": 1, "verified": 2}
CONDITION_STATE_OF: Final[dict[str, ConditionState]] = {
    CONDITION_MET: "met",
    CONDITION_FAILED: "failed",
    CONDITION_WAIVED: "waived",
}


def party_stream(party_id: str) -> str:
    return f"party-{party_id}"


def agreement_stream(agreement_id: str) -> str:
    return f"agreement-{agreement_id}"


def commitment_stream(commitment_id: str) -> str:
    return f"commitment-{commitment_id}"
