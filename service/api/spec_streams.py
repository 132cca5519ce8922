"""OpenAPI paths of the raw log, health and the live feed."""

from __future__ import annotations

from typing import Any

from service.api.specparts import path_param, problems, query

EVENT = {
    "type": "object",
    "description": "An event: its canonical document plus leaf_hash (docs/ledger.md).",
    "required": [
        "position",
        "event_id",
        "stream_id",
        "version",
        "type",
        "data",
        "metadata",
        "occurred_at",
        "recorded_at",
        "leaf_hash",
    ],
    "properties": {
        "position": {"type": "integer", "minimum": 1},
        "event_id": {"type": "string", "format": "uuid"},
        "stream_id": {"type": "string"},
        "version": {"type": "integer", "minimum": 1},
        "type": {"type": "string"},
        "data": {"type": "object"},
        "metadata": {"type": "object"},
        "occurred_at": {"type": "string", "format": "date-time"},
        "recorded_at": {"type": "string", "format": "date-time"},
        "leaf_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    },
}
LIMIT = query(
    "limit", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}, "page size"
)
EVENTS = {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}

OPENAPI_SCHEMAS = {"Event": EVENT}
OPENAPI_PATHS: dict[str, Any] = {
    "/healthz": {
        "get": {"summary": "The process is up", "responses": {"200": {"description": "up"}}}
    },
    "/readyz": {
        "get": {
            "summary": "Database reachable and migrations applied",
            "responses": {"200": {"description": "ready"}, "503": {"description": "not ready"}},
        }
    },
    "/v1/streams/{stream_id}": {
        "get": {
            "summary": "Read one stream in version order",
            "parameters": [
                path_param("stream_id"),
                query("from_version", {"type": "integer", "minimum": 1}, "first version to return"),
                LIMIT,
                query("direction", {"enum": ["forward", "backward"]}, "reading direction"),
            ],
            "responses": {
                "200": {
                    "description": "a page of the stream; ETag is the stream version",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "stream_id": {"type": "string"},
                                    "version": {"type": "integer"},
                                    "events": EVENTS,
                                    "next_from_version": {"type": ["integer", "null"]},
                                },
                            }
                        }
                    },
                },
                **problems(400, 404, 503),
            },
        }
    },
    "/v1/events": {
        "get": {
            "summary": "Read the global log in position order",
            "parameters": [
                query(
                    "after", {"type": "integer", "minimum": 0}, "return events after this position"
                ),
                LIMIT,
                query("type", {"type": "string"}, "event types, repeated or comma-separated"),
            ],
            "responses": {
                "200": {
                    "description": "a page; `next` is the cursor for the following page",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"events": EVENTS, "next": {"type": "integer"}},
                            }
                        }
                    },
                },
                **problems(400, 503),
            },
        }
    },
    "/v1/events/live": {
        "get": {
            "summary": "Server-Sent Events from a position; resumes with Last-Event-ID",
            "parameters": [
                query("after", {"type": "integer", "minimum": 0}, "start after this position"),
                query("type", {"type": "string"}, "event types, repeated or comma-separated"),
                {
                    "name": "Last-Event-ID",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "integer"},
                },
            ],
            "responses": {"200": {"description": "text/event-stream"}, **problems(400)},
        }
    },
}
