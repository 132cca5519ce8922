"""Webhook subscriptions over HTTP: create (the secret is shown once), list, read, delete, and
each one's delivery log (docs/api.md#webhooks). The models here are those the route table
(service/api/routes.py) documents and validates with."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from aiohttp import web
from pydantic import Field, TypeAdapter

from service.api.auth import writer
from service.api.inputs import json_body
from service.api.keys import POOL
from service.api.params import Page
from service.api.schemas import Answer
from service.api.table import Reply, page_size, params
from service.domain.commands import parse_body
from service.domain.errors import Unavailable
from service.webhooks import subscriptions
from service.webhooks.subscriptions import WebhookBody

BODY = TypeAdapter(WebhookBody)
LOCATION = ("Location",)


class WebhookPageParams(Page):
    after: uuid.UUID | None = Field(None, description="cursor: the previous page's `next`")


class DeliveryPageParams(Page):
    before: int | None = Field(None, ge=1, description="cursor: the previous page's `next`")


class Filters(Answer):
    party: str | None
    agreement: str | None
    commitment: str | None


class Webhook(Answer):
    id: str = Field(json_schema_extra={"format": "uuid"})
    url: str
    owner: str | None = Field(description="the party that manages it; null: administrators")
    filters: Filters
    changes: list[Literal["verdict", "schedule"]]
    description: str | None
    state: Literal["active", "disabled"]
    failing_since: str | None
    disabled_at: str | None
    disabled_reason: str | None
    created_at: str = Field(json_schema_extra={"format": "date-time"})


class CreatedWebhook(Webhook):
    secret: str = Field(description="whsec_...: shown in this answer only")


class WebhookPage(Answer):
    webhooks: list[Webhook]
    next: str | None


class DeliveryAttempt(Answer):
    id: int
    message_id: str | None = Field(description="webhook-id of the message; null: not a post")
    attempt: int | None
    at: str = Field(json_schema_extra={"format": "date-time"})
    outcome: Literal["delivered", "retrying", "failed", "endpoint_disabled"]
    status_code: int | None
    error: str | None
    duration_ms: int | None
    next_attempt_at: str | None


class DeliveryPage(Answer):
    deliveries: list[DeliveryAttempt]
    next: int | None


def manager(request: web.Request) -> str | None:
    """Whose subscriptions the caller manages: None for an administrator (all of them), a
    party id for that party's principals (only its own). Every view scopes by this one call;
    without a token it is a 401, on reads too, since a subscription names where it reports."""
    return writer(request).party


def _pool(request: web.Request) -> Any:
    pool = request.app[POOL]
    if pool is None:
        raise Unavailable("webhooks need the PostgreSQL store")
    return pool


async def post_webhook(request: web.Request) -> Reply:
    body = parse_body(BODY, await json_body(request))
    async with _pool(request).acquire() as conn:
        now = await conn.fetchval("SELECT now()")
        created = await subscriptions.create(conn, body, manager(request), now)
    return Reply(created, headers={"Location": f"/v1/webhooks/{created['id']}"})


async def list_webhooks(request: web.Request) -> Reply:
    """A page in id order; `next` is the cursor for ?after=."""
    query = params(request, WebhookPageParams)
    limit = page_size(request, query.limit)
    async with _pool(request).acquire() as conn:
        page = await subscriptions.list_page(conn, manager(request), query.after, limit + 1)
    next_after = page[limit - 1]["id"] if len(page) > limit else None
    return Reply({"webhooks": page[:limit], "next": next_after})


async def get_webhook(request: web.Request) -> Reply:
    async with _pool(request).acquire() as conn:
        found = await subscriptions.get(conn, manager(request), request.match_info["id"])
    return Reply(found)


async def delete_webhook(request: web.Request) -> web.StreamResponse:
    async with _pool(request).acquire() as conn:
        await subscriptions.delete(conn, manager(request), request.match_info["id"])
    return web.Response(status=204)


async def list_deliveries(request: web.Request) -> Reply:
    """The delivery log, newest first; `next` is the cursor for ?before=."""
    query = params(request, DeliveryPageParams)
    limit = page_size(request, query.limit)
    async with _pool(request).acquire() as conn:
        log = await subscriptions.attempts(
            conn, manager(request), request.match_info["id"], query.before, limit + 1
        )
    next_before = log[limit - 1]["id"] if len(log) > limit else None
    return Reply({"deliveries": log[:limit], "next": next_before})
