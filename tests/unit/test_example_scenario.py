"""The example scenario validates and folds to the statuses docs/compliance-rules.md shows."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from service.domain.commands import parse_body
from service.domain.compliance import commitment_status, verdict_lookup
from service.domain.decide import make_commitment, record_evidence, references
from service.domain.events import commitment_stream
from service.domain.evidence import AGREEMENT, COMMITMENT, EVIDENCE, PARTY
from service.domain.status import CommitmentStatus
from service.domain.tallies import agreement_compliance, party_compliance
from service.log.records import RecordedEvent
from tests.unit.commitment_ledger import FAR, end, record

SCENARIO = Path(__file__).parents[2] / "examples" / "nato-afghanistan-2021.json"


def load() -> dict[str, Any]:
    scenario: dict[str, Any] = json.loads(SCENARIO.read_text(encoding="utf-8"))
    return scenario


def streams() -> dict[str, list[RecordedEvent]]:
    """Every commitment's stream, each event recorded one day after it occurred (as in the doc)."""
    scenario, position = load(), 0
    out: dict[str, list[RecordedEvent]] = {}
    for body in scenario["commitments"]:
        out[body["id"]] = []
        event = make_commitment([], parse_body(COMMITMENT, body))
        position += 1
        out[body["id"]].append(_record(body["id"], event, 1, position))
    for item in scenario["events"]:
        cid = item["commitment"]
        body = {k: v for k, v in item.items() if k not in ("commitment", "recorded_by")}
        stream = out[cid]
        # As `pledger import` records it: an item's explicit writer, else a legacy event.
        written = {"recorded_by": item["recorded_by"]} if "recorded_by" in item else {}
        command = parse_body(EVIDENCE, body)
        event = record_evidence(cid, stream, command, now=end(FAR), metadata=written)
        position += 1
        stream.append(_record(cid, event, len(stream) + 1, position))
    return out


def _record(cid: str, event: Any, version: int, position: int) -> RecordedEvent:
    recorded_at = event.occurred_at + timedelta(days=1)
    stream_id = commitment_stream(cid)
    return record(
        event, stream_id=stream_id, version=version, position=position, recorded_at=recorded_at
    )


def status(cid: str, as_of: str, known_at: str = FAR) -> CommitmentStatus | None:
    events = streams()
    lookup = verdict_lookup(events, end(as_of), end(known_at))
    return commitment_status(events[cid], end(as_of), end(known_at), lookup)


def test_every_body_validates_and_every_reference_resolves() -> None:
    scenario = load()
    known = {("party", p["id"]) for p in parse_all(PARTY, scenario["parties"])}
    known |= {("agreement", a.id) for a in parse_all(AGREEMENT, scenario["agreements"])}

    for a in parse_all(AGREEMENT, scenario["agreements"]):
        assert {("party", r.id) for r in references(a)} <= known
    for c in parse_all(COMMITMENT, scenario["commitments"]):  # in order: links point backwards
        assert {(r.kind, r.id) for r in references(c)} <= known
        known.add(("commitment", c.id))
    envelope = ("commitment", "recorded_by")  # the importer's fields, not the body's
    bodies = [{k: v for k, v in e.items() if k not in envelope} for e in scenario["events"]]
    for e in parse_all(EVIDENCE, bodies):
        assert {(r.kind, r.id) for r in references(e)} <= known
    writers = {e["recorded_by"] for e in scenario["events"] if "recorded_by" in e}
    assert {("party", w) for w in writers} <= known
    assert len(streams()) == 5


def parse_all(adapter: Any, bodies: list[dict[str, Any]]) -> list[Any]:
    parsed = [parse_body(adapter, body) for body in bodies]
    return [p.model_dump() if adapter is PARTY else p for p in parsed]


@pytest.mark.parametrize(
    ("as_of", "known_at", "verdict", "schedule", "disputed", "due_by"),
    [
        ("2020-02-28", FAR, None, None, None, None),
        ("2021-02-01", FAR, "pending_condition", "not_due", False, "2021-05-01"),
        ("2021-02-19", FAR, "in_progress", "not_due", False, "2021-05-01"),
        ("2021-05-02", "2021-04-14", "in_progress", "overdue", False, "2021-05-01"),
        # The United States asked to move its own deadline; the Taliban never agreed (R2), so
        # 1 May stands: overdue from the end of that day, disputed (the Taliban claim breach).
        ("2021-05-02", FAR, "in_progress", "overdue", True, "2021-05-01"),
        ("2021-08-31", "2021-08-31", "in_progress", "overdue", True, "2021-05-01"),
        ("2021-09-01", "2021-08-31", "in_progress", "overdue", True, "2021-05-01"),
        ("2021-09-01", FAR, "fulfilled", "met_late", True, "2021-05-01"),
    ],
)
def test_the_allied_withdrawal(
    as_of: str, known_at: str, verdict: str | None, schedule: str, disputed: bool, due_by: str
) -> None:
    found = status("allied-withdrawal", as_of, known_at)
    if verdict is None:
        assert found is None
        return
    assert found is not None
    assert (found.verdict, found.schedule, found.disputed) == (verdict, schedule, disputed)
    assert found.due_by == end(due_by)


def test_the_withdrawal_condition_links_to_the_al_qaeda_pledge() -> None:
    early, late = status("allied-withdrawal", "2020-05-01"), status("allied-withdrawal", FAR)
    assert early is not None and late is not None
    assert [(c.state, c.commitment_verdict) for c in early.conditions] == [
        ("pending", "not_assessed")
    ]
    assert [(c.state, c.commitment_verdict) for c in late.conditions] == [("waived", "breached")]


def test_the_taliban_pledges_and_austins() -> None:
    al_qaeda = status("taliban-al-qaeda", "2021-03-01")
    attacks = status("taliban-stop-attacks", "2021-03-01")
    talks = status("taliban-afghan-settlement", "2021-03-01")
    austin = status("austin-no-unilateral-withdrawal", "2021-05-02")
    assert al_qaeda and (al_qaeda.verdict, al_qaeda.disputed) == ("breached", True)
    assert attacks and (attacks.verdict, attacks.disputed) == ("breached", True)
    assert talks and (talks.verdict, talks.schedule) == ("stalled", "no_deadline")
    assert austin and (austin.verdict, austin.schedule) == ("fulfilled", "no_deadline")
    assert status("austin-no-unilateral-withdrawal", "2021-02-17") is None
    quiet = status("taliban-stop-attacks", "2021-02-01")
    assert quiet and (quiet.verdict, quiet.disputed) == ("not_assessed", False)


def test_tallies_of_the_doha_agreement_and_the_taliban() -> None:
    events = streams()
    statuses = [commitment_status(s, end("2021-03-01"), end(FAR)) for s in events.values()]
    taliban = party_compliance(s for s in statuses if s and s.promisor == "taliban")
    assert (taliban.total, taliban.verdicts["breached"], taliban.kept_ratio) == (3, 2, 0.0)
    doha = agreement_compliance(s for s in statuses if s and s.agreement == "doha-2020")
    assert doha.promisors["united-states"].verdicts["in_progress"] == 1
    assert doha.overall.total == 4


def test_a_correction_of_natos_report_acts_from_when_it_is_known() -> None:
    events = streams()["allied-withdrawal"]
    nato = next(e for e in events if e.data.get("assessor") == "nato")
    correction = record_evidence(
        "allied-withdrawal",
        events,
        parse_body(
            EVIDENCE,
            {"type": "correction_recorded", "corrects": str(nato.event_id), "reason": "x"},
        ),
        now=end("2021-03-10") - timedelta(days=1),
    )
    corrected = [*events, _record("allied-withdrawal", correction, len(events) + 1, 999)]

    def verdict(known_at: str) -> str | None:
        found = commitment_status(corrected, end("2021-02-19"), end(known_at))
        return found.verdict if found else None

    assert verdict("2021-03-09") == "in_progress"
    assert verdict("2021-03-10") == "pending_condition"
    assert verdict(FAR) == "pending_condition"
