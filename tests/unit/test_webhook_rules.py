"""The pure parts of webhooks: which changes a notification reports, its payload, the retry
schedule and the subscription body's validation."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import TypeAdapter

from service.domain.commands import parse_body
from service.domain.errors import ValidationFailed
from service.webhooks.changes import NOTHING, Announced, Change, Subject, payload, scheduled
from service.webhooks.policy import RetryPolicy
from service.webhooks.subscriptions import WebhookBody, new_secret

T = datetime(2026, 1, 1, tzinfo=UTC)
SUBJECT = Subject("c1", "p", ["q"], None)


def test_a_change_names_what_changed() -> None:
    pending = Announced("in_progress", False, "not_due")
    cases = {
        (NOTHING, pending): ["verdict", "schedule"],
        (pending, Announced("in_progress", True, "not_due")): ["verdict"],
        (pending, Announced("in_progress", False, "overdue")): ["schedule"],
        (pending, Announced("fulfilled", False, "met_on_time")): ["verdict", "schedule"],
    }
    for (old, new), kinds in cases.items():
        assert Change(SUBJECT, old, new, 7, "event", T).kinds == kinds


def test_the_payload_is_the_standard_webhooks_shape() -> None:
    change = Change(SUBJECT, NOTHING, Announced("in_progress", False, "not_due"), 7, "clock", T)
    body = json.loads(payload(change, "m1", T))
    assert body["type"] == "commitment.status_changed"
    assert body["timestamp"] == "2026-01-01T00:00:00.000000Z"
    assert body["data"]["id"] == "m1" and body["data"]["cause"] == "clock"
    assert body["data"]["old"] == {"verdict": None, "disputed": False, "schedule": None}


def test_a_stored_step_shows_its_after_value_only_past_switch_at() -> None:
    assert scheduled("not_due", "overdue", T, T) == "not_due"
    assert scheduled("not_due", "overdue", T, T + timedelta(microseconds=1)) == "overdue"


def test_retries_back_off_exponentially_with_jitter_and_stop_after_the_window() -> None:
    policy, rng = RetryPolicy(), random.Random(1)
    for attempt in range(1, 30):
        base = min(timedelta(seconds=5) * 2 ** (attempt - 1), timedelta(hours=2))
        assert base / 2 <= policy.delay(attempt, rng) <= base
    assert not policy.gives_up(T, T + timedelta(hours=23, minutes=59))
    assert policy.gives_up(T, T + timedelta(hours=24))
    assert policy.disables(T, T + timedelta(days=5))
    assert not policy.disables(T, T + timedelta(days=4))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "https://exa mple.org/"}, "url"),
        ({"url": "https://example.org", "secret": "whsec_!!!"}, "secret"),
        ({"url": "https://example.org", "secret": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}, "secret"),
    ],
)
def test_bad_bodies_name_the_field(body: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        parse_body(TypeAdapter(WebhookBody), body)
    assert raised.value.field == field


def test_a_generated_secret_is_valid_input() -> None:
    secret = new_secret()
    body = WebhookBody.model_validate({"url": "http://127.0.0.1:1/x", "secret": secret})
    assert body.secret == secret and body.changes == ["verdict", "schedule"]
