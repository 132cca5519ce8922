"""Typed application keys: what the composition root puts in the app for the views."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from service.auth.cache import Authenticator
from service.auth.rights import Writer
from service.commitments.readmodel import ReadModel
from service.config import Settings
from service.ledger.tree_store import TreeStore
from service.store.ports import EventStore

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", EventStore)
# The asyncpg pool when the store is PostgreSQL; None for memory. The API's views do not
# read it (they use READ_MODEL, TREE, READINESS); the HTML pages do.
POOL: web.AppKey[Any] = web.AppKey("pool")
# The CloudEvents `source` of every event (service/log/cloudevents.py, docs/api.md).
EVENT_SOURCE = web.AppKey("event_source", str)
# The ledger's Merkle tree (PostgreSQL only; None over another store).
TREE: web.AppKey[TreeStore | None] = web.AppKey("tree")
# How ready the backing database is: a readiness body and its status (200 or 503).
READINESS: web.AppKey[Callable[[], Awaitable[tuple[dict[str, Any], int]]]] = web.AppKey("ready")

# What the API reads about commitments: read tables or the fold, chosen in service/app.py.
READ_MODEL: web.AppKey[ReadModel] = web.AppKey("read_model")

# The principals, tokens and grants every request is checked against (service/auth/).
AUTH = web.AppKey("auth", Authenticator)

# Per-request storage.
REQUEST_ID = web.RequestKey("request_id", str)
# The authenticated principal, when the request carried a valid bearer token.
WRITER = web.RequestKey("writer", Writer)
