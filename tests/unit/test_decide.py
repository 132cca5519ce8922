"""The command side: rule 8 checks on one stream, the events produced, and the references."""

from __future__ import annotations

import uuid

import pytest

from service.domain.commands import parse_body
from service.domain.decide import (
    make_commitment,
    record_agreement,
    record_evidence,
    references,
    register_party,
)
from service.domain.errors import AlreadyExists, EntityNotFound, ValidationFailed
from service.domain.evidence import AGREEMENT, COMMITMENT, EVIDENCE, PARTY
from tests.unit.commitment_ledger import SOURCE, Ledger, at

NOW = at("2024-01-01T12:00:00Z")


def failing_field(ledger: Ledger, body: dict[str, object]) -> str:
    with pytest.raises(ValidationFailed) as caught:
        ledger.post(body)
    return caught.value.field


def test_register_party_occurs_now_with_the_body_as_data() -> None:
    command = parse_body(PARTY, {"id": "taliban", "name": "Taliban", "kind": "armed_group"})
    event = register_party([], command, now=NOW)
    assert (event.type, event.occurred_at) == ("party_registered", NOW)
    assert event.data == {"id": "taliban", "name": "Taliban", "kind": "armed_group"}


def test_an_existing_stream_is_already_exists() -> None:
    ledger = Ledger()
    ledger.make()
    with pytest.raises(AlreadyExists):
        ledger.make()
    party = parse_body(PARTY, {"id": "nato", "name": "NATO", "kind": "organization"})
    with pytest.raises(AlreadyExists):
        register_party(ledger.events, party, now=NOW)


def test_record_agreement_occurs_when_signed_or_now() -> None:
    body = {"id": "doha-2020", "title": "Doha agreement", "parties": ["united-states", "taliban"]}
    unsigned = record_agreement([], parse_body(AGREEMENT, body), now=NOW)
    signed = record_agreement(
        [], parse_body(AGREEMENT, body | {"signed_at": "2020-02-29"}), now=NOW
    )
    assert unsigned.occurred_at == NOW
    assert signed.occurred_at == at("2020-02-29")
    assert signed.data["signed_at"] == "2020-02-29T00:00:00.000000Z"


def test_commitment_made_occurs_at_made_at_with_canonical_times_in_data() -> None:
    body = {
        "id": "withdrawal",
        "promisor": "united-states",
        "promisees": ["taliban"],
        "text": "withdraw",
        "made_at": "2020-02-29",
        "due_by": "2021-05-01",
        "source": SOURCE,
    }
    event = make_commitment([], parse_body(COMMITMENT, body), event_id=uuid.UUID(int=7))
    assert (event.occurred_at, event.event_id) == (at("2020-02-29"), uuid.UUID(int=7))
    assert event.data == body | {
        "made_at": "2020-02-29T00:00:00.000000Z",
        "due_by": "2021-05-01T23:59:59.999999Z",
    }


def test_due_by_before_made_at_is_rejected_but_the_same_day_is_not() -> None:
    with pytest.raises(ValidationFailed) as caught:
        Ledger().make(made_at="2021-05-02", due_by="2021-05-01")
    assert caught.value.field == "due_by"
    Ledger().make(made_at="2021-05-01T18:00:00Z", due_by="2021-05-01")


def test_a_condition_linked_to_its_own_commitment_is_rejected() -> None:
    with pytest.raises(ValidationFailed) as caught:
        Ledger("c1").make(conditions=[{"id": "x", "text": "t", "commitment": "c1"}])
    assert caught.value.field == "conditions.0.commitment"


def test_evidence_for_a_commitment_that_does_not_exist_is_not_found() -> None:
    body = {"type": "withdrawn", "occurred_at": "2021-01-01", "source": SOURCE}
    with pytest.raises(EntityNotFound):
        record_evidence("c1", [], parse_body(EVIDENCE, body), now=NOW)


def test_evidence_data_drops_type_and_occurred_at_and_fills_effective_at() -> None:
    ledger = Ledger()
    ledger.make()
    event = ledger.assess("un", "breached", "verified", "2021-01-01", level=2)
    assert event.occurred_at == at("2021-01-01")
    assert event.data == {
        "assessor": "un",
        "verdict": "breached",
        "strength": "verified",
        "effective_at": "2021-01-01T00:00:00.000000Z",
        "level": 2,
        "source": SOURCE,
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "withdrawn", "occurred_at": "2019-12-31T23:59:59Z"}, "occurred_at"),
        (
            {"type": "deadline_changed", "due_by": "2019-12-31", "occurred_at": "2020-01-02"},
            "due_by",
        ),
        ({"type": "superseded", "by": "c1", "occurred_at": "2020-01-02"}, "by"),
        ({"type": "condition_met", "condition": "nope", "occurred_at": "2020-01-02"}, "condition"),
        (
            {
                "type": "assessment_recorded",
                "assessor": "un",
                "verdict": "fulfilled",
                "strength": "verified",
                "occurred_at": "2020-03-01",
                "effective_at": "2020-03-01T00:00:00.000001Z",
            },
            "effective_at",
        ),
        (
            {
                "type": "assessment_recorded",
                "assessor": "un",
                "verdict": "fulfilled",
                "strength": "verified",
                "occurred_at": "2020-03-01",
                "measure_value": 3,
            },
            "measure_value",
        ),
        (
            {"type": "correction_recorded", "corrects": str(uuid.uuid4()), "reason": "typo"},
            "corrects",
        ),
    ],
)
def test_rule_8_checks_on_the_stream_name_the_field(body: dict[str, object], field: str) -> None:
    ledger = Ledger("c1")
    ledger.make(made_at="2020-01-01", conditions=[{"id": "talks", "text": "talks start"}])
    assert failing_field(ledger, body) == field
    assert len(ledger.events) == 1


def test_a_correction_cannot_name_a_correction_or_an_event_twice() -> None:
    ledger = Ledger()
    ledger.make()
    wrong = ledger.assess("a", "breached", "reported", "2021-01-10")
    correction = ledger.correct(wrong, recorded_at="2021-02-01")
    assert correction.occurred_at == at("2021-02-01")  # it occurs when it is recorded
    with pytest.raises(ValidationFailed, match="already corrected"):
        ledger.correct(wrong, recorded_at="2021-02-02")
    with pytest.raises(ValidationFailed, match="cannot be corrected"):
        ledger.correct(correction, recorded_at="2021-02-02")


def test_a_correction_naming_another_streams_event_is_rejected() -> None:
    other = Ledger("c2")
    other.make()
    foreign = other.assess("a", "breached", "reported", "2021-01-10")
    ledger = Ledger("c1")
    ledger.make()
    with pytest.raises(ValidationFailed) as caught:
        ledger.correct(foreign, recorded_at="2021-02-01")
    assert caught.value.field == "corrects"


def test_references_name_every_other_stream_id_with_its_field() -> None:
    body = {
        "id": "c1",
        "promisor": "taliban",
        "promisees": ["united-states", "afghanistan"],
        "agreement": "doha-2020",
        "text": "t",
        "made_at": "2020-02-29",
        "conditions": [{"id": "a", "text": "t"}, {"id": "b", "text": "t", "commitment": "c9"}],
        "source": SOURCE,
    }
    refs = references(parse_body(COMMITMENT, body))
    assert [(r.field, r.stream_id) for r in refs] == [
        ("promisor", "party-taliban"),
        ("promisees.0", "party-united-states"),
        ("promisees.1", "party-afghanistan"),
        ("agreement", "agreement-doha-2020"),
        ("conditions.1.commitment", "commitment-c9"),
    ]
    error = refs[3].missing()
    assert (error.field, error.detail) == ("agreement", "agreement 'doha-2020' does not exist")


def test_references_of_evidence_and_agreements() -> None:
    superseded = {"type": "superseded", "by": "c2", "occurred_at": "2021-01-01", "source": SOURCE}
    assessment = {
        "type": "assessment_recorded",
        "assessor": "un",
        "verdict": "breached",
        "strength": "verified",
        "occurred_at": "2021-01-01",
        "source": SOURCE,
    }
    agreement = {"id": "doha", "title": "Doha", "parties": ["taliban"]}
    assert [r.stream_id for r in references(parse_body(EVIDENCE, superseded))] == ["commitment-c2"]
    assert [r.field for r in references(parse_body(EVIDENCE, assessment))] == ["assessor"]
    assert [r.field for r in references(parse_body(AGREEMENT, agreement))] == ["parties.0"]
    withdrawn = {"type": "withdrawn", "occurred_at": "2021-01-01", "source": SOURCE}
    assert references(parse_body(EVIDENCE, withdrawn)) == []


def test_an_event_later_than_its_recording_is_refused_past_the_clock_skew() -> None:
    ledger = Ledger("c1")
    ledger.make(made_at="2020-01-01")
    body = {"type": "withdrawn", "occurred_at": "2024-01-01T12:04:00Z"}
    ledger.post(body, recorded_at="2024-01-01T12:00:00Z")  # within the skew
    ahead = {"type": "withdrawn", "occurred_at": "2024-01-01T12:06:00Z"}
    with pytest.raises(ValidationFailed) as caught:
        ledger.post(ahead, recorded_at="2024-01-01T12:00:00Z")
    assert caught.value.field == "occurred_at" and "later than" in caught.value.detail
    agreement = {"id": "a", "title": "A", "parties": ["p", "q"], "signed_at": "2024-01-02"}
    with pytest.raises(ValidationFailed) as caught:
        record_agreement([], parse_body(AGREEMENT, agreement), now=NOW)
    assert caught.value.field == "signed_at"


@pytest.mark.parametrize(
    ("verdict", "value", "refused"),
    [("fulfilled", 99, True), ("fulfilled", 100, False), ("breached", 99, False)],
)
def test_a_fulfilment_whose_own_measure_value_fails_the_measure_is_refused(
    verdict: str, value: int, refused: bool
) -> None:
    ledger = Ledger("c1")
    ledger.make(made_at="2020-01-01", measure={"target": 100, "unit": "troops", "comparator": ">="})
    body = {
        "type": "assessment_recorded",
        "assessor": "un",
        "verdict": verdict,
        "strength": "verified",
        "occurred_at": "2020-03-01",
        "measure_value": value,
    }
    if not refused:
        ledger.post(body)
        return
    with pytest.raises(ValidationFailed) as caught:
        ledger.post(body)
    assert caught.value.field == "measure_value" and "does not meet" in caught.value.detail
