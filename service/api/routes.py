"""The whole URL table on one screen."""

from __future__ import annotations

from aiohttp import web

from service.api import health, openapi, sse, streams


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", health.healthz)
    app.router.add_get("/readyz", health.readyz)
    app.router.add_get("/v1/openapi.json", openapi.openapi_document)
    # The raw log
    app.router.add_get("/v1/streams/{stream_id}", streams.get_stream)
    app.router.add_get("/v1/events", streams.get_events)
    app.router.add_get("/v1/events/live", sse.live_events)
