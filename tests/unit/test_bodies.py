"""Request bodies and times: what is accepted, how it is normalised, which field an error names."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from service.domain.commands import parse_body
from service.domain.errors import InvalidParameter, ValidationFailed
from service.domain.evidence import AGREEMENT, COMMITMENT, EVIDENCE, PARTY
from service.domain.timeparse import parse_query_time, parse_time

NOW = datetime(2024, 1, 1, tzinfo=UTC)
COMMITMENT_BODY = {
    "id": "withdrawal",
    "promisor": "united-states",
    "promisees": ["taliban"],
    "text": "withdraw",
    "made_at": "2020-02-29",
    "source": {"url": "https://www.state.gov/doha.pdf"},
}


def field_of(adapter: object, body: object) -> str:
    with pytest.raises(ValidationFailed) as caught:
        parse_body(adapter, body)  # type: ignore[arg-type]
    return caught.value.field


def test_a_bare_date_starts_or_ends_its_day() -> None:
    assert parse_time("2021-05-01", "start") == datetime(2021, 5, 1, tzinfo=UTC)
    assert parse_time("2021-05-01", "end") == datetime(2021, 5, 1, 23, 59, 59, 999999, tzinfo=UTC)


def test_a_timestamp_keeps_its_instant_in_utc_whatever_the_edge() -> None:
    for edge in ("start", "end"):
        value = parse_time("2021-05-01T04:30:00+04:30", edge)  # type: ignore[arg-type]
        assert value == datetime(2021, 5, 1, tzinfo=UTC)
        assert value.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2021-05-01T10:00:00", "no UTC offset"),
        ("2021-02-30", "not a valid date"),
        ("1 May 2021", "not a date"),
        ("20210501", "not a date"),
        ("2021-05-01T25:00:00Z", "not a valid ISO 8601"),
    ],
)
def test_bad_times_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_time(text, "start")


def test_query_times_default_to_now_and_name_the_parameter() -> None:
    assert parse_query_time("as_of", None, NOW) == NOW
    assert parse_query_time("known_at", "2021-05-01", NOW).hour == 23
    with pytest.raises(InvalidParameter) as caught:
        parse_query_time("known_at", "2021-05-01T10:00", NOW)
    assert caught.value.parameter == "known_at"


def test_body_times_follow_their_fields_bare_date_meaning() -> None:
    body = COMMITMENT_BODY | {"due_by": "2021-05-01", "made_at": "2020-02-29"}
    command = parse_body(COMMITMENT, body)
    assert command.made_at == datetime(2020, 2, 29, tzinfo=UTC)
    assert command.due_by == datetime(2021, 5, 1, 23, 59, 59, 999999, tzinfo=UTC)
    assert command.to_data()["due_by"] == "2021-05-01T23:59:59.999999Z"


def test_a_naive_timestamp_in_a_body_names_its_field() -> None:
    assert field_of(COMMITMENT, COMMITMENT_BODY | {"made_at": "2020-02-29T10:00:00"}) == "made_at"


@pytest.mark.parametrize("slug", ["Taliban", "-nato", "a" * 65, "un monitor", "", "é"])
def test_ids_must_be_slugs(slug: str) -> None:
    assert field_of(PARTY, {"id": slug, "name": "X", "kind": "state"}) == "id"


def test_a_64_character_slug_is_accepted() -> None:
    assert parse_body(PARTY, {"id": "a" * 64, "name": "X", "kind": "state"}).id == "a" * 64


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"promisees": []}, "promisees"),
        ({"promisees": ["taliban", "taliban"]}, "promisees"),
        ({"promisees": ["united-states"]}, "promisees"),
        ({"text": "   "}, "text"),
        ({"source": {"quote": "only a quote"}}, "source"),
        ({"source": {"url": "ftp://example.org"}}, "source.url"),
        ({"conditions": [{"id": "a", "text": "t"}, {"id": "a", "text": "u"}]}, "conditions"),
        ({"conditions": [{"id": "a"}]}, "conditions.0.text"),
        ({"measure": {"target": 0, "unit": "troops", "comparator": "~"}}, "measure.comparator"),
        ({"measure": {"target": "0", "unit": "troops", "comparator": "<="}}, "measure.target"),
    ],
)
def test_commitment_body_errors_name_the_field(change: dict[str, object], field: str) -> None:
    assert field_of(COMMITMENT, COMMITMENT_BODY | change) == field


def test_a_missing_field_is_named() -> None:
    body = {k: v for k, v in COMMITMENT_BODY.items() if k != "source"}
    assert field_of(COMMITMENT, body) == "source"


def test_agreement_body() -> None:
    body = {"id": "doha-2020", "title": "Doha", "parties": ["taliban"], "signed_at": 20200229}
    assert field_of(AGREEMENT, body) == "signed_at"
    assert field_of(AGREEMENT, body | {"signed_at": "2020-02-29", "parties": []}) == "parties"


ASSESSMENT = {
    "type": "assessment_recorded",
    "assessor": "un",
    "verdict": "breached",
    "strength": "verified",
    "occurred_at": "2021-01-01",
    "source": {"title": "UN report"},
}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"occurred_at": "2021-01-01"}, "type"),
        (ASSESSMENT | {"type": "assessed"}, "type"),
        (ASSESSMENT | {"verdict": "kept"}, "verdict"),
        (ASSESSMENT | {"strength": "rumoured"}, "strength"),
        (ASSESSMENT | {"level": 4}, "level"),
        (ASSESSMENT | {"level": "2"}, "level"),
        (ASSESSMENT | {"measure_value": float("inf")}, "measure_value"),
        # 2^53 + 1 would become 2^53: JCS numbers are doubles (docs/ledger.md).
        (ASSESSMENT | {"measure_value": 2**53 + 1}, "measure_value"),
        (ASSESSMENT | {"source": {}}, "source"),
        ({"type": "correction_recorded", "corrects": "42", "reason": "x"}, "corrects"),
        (
            {"type": "correction_recorded", "corrects": "42", "occurred_at": "2021-01-01"},
            "corrects",
        ),
        (
            {"type": "condition_met", "occurred_at": "2021-01-01", "source": {"title": "t"}},
            "condition",
        ),
        ([ASSESSMENT], "body"),
    ],
)
def test_evidence_errors_name_the_field(body: object, field: str) -> None:
    assert field_of(EVIDENCE, body) == field


def test_every_problem_is_in_the_detail() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_body(EVIDENCE, ASSESSMENT | {"verdict": "kept", "strength": "rumoured"})
    assert "verdict:" in caught.value.detail and "strength:" in caught.value.detail


def test_evidence_is_told_apart_by_type() -> None:
    for kind in ("condition_met", "condition_failed", "condition_waived"):
        body = {
            "type": kind,
            "condition": "c",
            "occurred_at": "2021-01-01",
            "source": {"title": "t"},
        }
        assert parse_body(EVIDENCE, body).type == kind
    assert type(parse_body(EVIDENCE, ASSESSMENT)).__name__ == "RecordAssessment"
