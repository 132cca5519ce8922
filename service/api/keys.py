"""Typed application keys: what the composition root puts in the app for the views."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from service.config import Settings
from service.store.ports import EventStore

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", EventStore)
# The asyncpg pool when the store is PostgreSQL (readiness, read models); None for memory.
POOL: web.AppKey[Any] = web.AppKey("pool")
# The CloudEvents `source` of every event (service/log/cloudevents.py, docs/api.md).
EVENT_SOURCE = web.AppKey("event_source", str)

# Per-request storage.
REQUEST_ID = web.RequestKey("request_id", str)
# Set by a view that was given If-Match, so a version conflict answers 412 instead of 409.
IF_MATCH = web.RequestKey("if_match", bool)
