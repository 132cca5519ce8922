"""The whole URL table on one screen."""

from __future__ import annotations

from aiohttp import web

from service.api import health, ledger, openapi, sse, streams


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", health.healthz)
    app.router.add_get("/readyz", health.readyz)
    app.router.add_get("/v1/openapi.json", openapi.openapi_document)
    # The raw log
    app.router.add_get("/v1/streams/{stream_id}", streams.get_stream)
    app.router.add_get("/v1/events", streams.get_events)
    app.router.add_get("/v1/events/live", sse.live_events)
    # The verifiable ledger (docs/ledger.md)
    app.router.add_get("/v1/events/{position}/proof", ledger.get_inclusion_proof)
    app.router.add_get("/v1/ledger/checkpoint", ledger.get_checkpoint)
    app.router.add_get("/v1/ledger/checkpoints", ledger.list_checkpoints)
    app.router.add_get("/v1/ledger/key", ledger.get_key)
    app.router.add_get("/v1/ledger/consistency", ledger.get_consistency_proof)
