"""Webhook subscriptions: the request body, the secret, and their rows (schema/008_webhooks.sql).

`owner` scopes every call: None acts for an administrator (every subscription), a party id
for that party's principals (only the subscriptions that party created).
"""

from __future__ import annotations

import base64
import binascii
import secrets
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StringConstraints

from service.domain.commands import Body, Slug, Title
from service.domain.errors import EntityNotFound
from service.log.records import format_time

SECRET_PREFIX = "whsec_"


def _http_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as e:
        raise ValueError(f"not a URL: {e}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http:// or https:// URL")
    if any(c.isspace() for c in value):
        raise ValueError("must not contain white space")
    return value


def _secret(value: str) -> str:
    """Standard Webhooks form: whsec_ and the base64 of 24 to 64 random bytes."""
    raw = value.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("must be whsec_ followed by base64") from None
    if not value.startswith(SECRET_PREFIX) or not 24 <= len(key) <= 64:
        raise ValueError("must be whsec_ followed by the base64 of 24 to 64 bytes")
    return value


HttpUrl = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_http_url)]
Secret = Annotated[str, StringConstraints(max_length=200), AfterValidator(_secret)]
ChangeKind = Literal["verdict", "schedule"]
Changes = Annotated[list[ChangeKind], Field(min_length=1, max_length=2)]


def _every_change() -> list[ChangeKind]:
    return ["verdict", "schedule"]


class WebhookBody(Body):
    """POST /v1/webhooks. Filters left out match everything."""

    url: HttpUrl
    party: Slug | None = None  # the commitment's promisor or one of its promisees
    agreement: Slug | None = None
    commitment: Slug | None = None
    changes: Changes = Field(default_factory=_every_change)
    secret: Secret | None = None
    description: Title | None = None


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


COLUMNS = """id, url, owner, party, agreement, commitment, changes, description, state,
    failing_since, disabled_at, disabled_reason, created_at"""
INSERT_SQL = f"""
INSERT INTO webhook_subscriptions
    (id, url, secret, owner, party, agreement, commitment, changes, description, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {COLUMNS}
"""
SCOPE = "($1::text IS NULL OR owner = $1)"
LIST_SQL = f"""SELECT {COLUMNS} FROM webhook_subscriptions WHERE {SCOPE}
    AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3"""
GET_SQL = f"SELECT {COLUMNS} FROM webhook_subscriptions WHERE {SCOPE} AND id = $2"
DELETE_SQL = f"DELETE FROM webhook_subscriptions WHERE {SCOPE} AND id = $2 RETURNING id"
LOG_SQL = """
SELECT a.id, a.message_id, a.attempt, a.at, a.outcome, a.status_code, a.error, a.duration_ms,
       a.next_attempt_at
FROM webhook_attempts a WHERE a.subscription_id = $1 AND ($2::bigint IS NULL OR a.id < $2)
ORDER BY a.id DESC LIMIT $3
"""


async def create(conn: Any, body: WebhookBody, owner: str | None, now: datetime) -> dict[str, Any]:
    """The new subscription with its secret: the only answer that ever shows the secret."""
    secret = body.secret or new_secret()
    row = await conn.fetchrow(
        INSERT_SQL, uuid.uuid4(), body.url, secret, owner, body.party, body.agreement,
        body.commitment, sorted(set(body.changes)), body.description, now,
    )  # fmt: skip
    return {**subscription_json(row), "secret": secret}


async def list_page(
    conn: Any, owner: str | None, after: uuid.UUID | None, limit: int
) -> list[dict[str, Any]]:
    return [subscription_json(r) for r in await conn.fetch(LIST_SQL, owner, after, limit)]


async def get(conn: Any, owner: str | None, subscription_id: str) -> dict[str, Any]:
    row = await conn.fetchrow(GET_SQL, owner, _uuid(subscription_id))
    if row is None:
        raise EntityNotFound("webhook", subscription_id)
    return subscription_json(row)


async def delete(conn: Any, owner: str | None, subscription_id: str) -> None:
    """Deleting also drops its queued deliveries and its log."""
    if await conn.fetchval(DELETE_SQL, owner, _uuid(subscription_id)) is None:
        raise EntityNotFound("webhook", subscription_id)


async def attempts(
    conn: Any, owner: str | None, subscription_id: str, before: int | None, limit: int
) -> list[dict[str, Any]]:
    """The delivery log, newest first (404 for a subscription the caller may not see)."""
    await get(conn, owner, subscription_id)
    rows = await conn.fetch(LOG_SQL, _uuid(subscription_id), before, limit)
    return [_attempt_json(r) for r in rows]


def subscription_json(row: Any) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "url": row["url"],
        "owner": row["owner"],
        "filters": {k: row[k] for k in ("party", "agreement", "commitment")},
        "changes": list(row["changes"]),
        "description": row["description"],
        "state": row["state"],
        "failing_since": _time(row["failing_since"]),
        "disabled_at": _time(row["disabled_at"]),
        "disabled_reason": row["disabled_reason"],
        "created_at": format_time(row["created_at"]),
    }


def _attempt_json(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "message_id": None if row["message_id"] is None else str(row["message_id"]),
        "attempt": row["attempt"],
        "at": format_time(row["at"]),
        "outcome": row["outcome"],
        "status_code": row["status_code"],
        "error": row["error"],
        "duration_ms": row["duration_ms"],
        "next_attempt_at": _time(row["next_attempt_at"]),
    }


def _time(value: datetime | None) -> str | None:
    return None if value is None else format_time(value)


def _uuid(value: str) -> uuid.UUID:
    """Ids that are not UUIDs name no subscription (404, not 400: ids are opaque)."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise EntityNotFound("webhook", value) from None
