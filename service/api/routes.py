"""The whole URL table on one screen."""

from __future__ import annotations

from aiohttp import web

from service.api import commitments, compliance, entities, health, ledger, openapi, sse, streams


def setup_routes(app: web.Application) -> None:
    sse.setup_sse(app)
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
    # Parties, agreements, commitments and their evidence (docs/api.md)
    app.router.add_post("/v1/parties", entities.post_party)
    app.router.add_get("/v1/parties", entities.list_parties)
    app.router.add_get("/v1/parties/{id}", entities.get_party)
    app.router.add_get("/v1/parties/{id}/compliance", compliance.party)
    app.router.add_post("/v1/agreements", entities.post_agreement)
    app.router.add_get("/v1/agreements", entities.list_agreements)
    app.router.add_get("/v1/agreements/{id}", entities.get_agreement)
    app.router.add_get("/v1/agreements/{id}/compliance", compliance.agreement)
    app.router.add_post("/v1/commitments", commitments.post_commitment)
    app.router.add_get("/v1/commitments", commitments.list_commitments, name="commitments")
    app.router.add_get("/v1/commitments/{id}", commitments.get_commitment)
    app.router.add_post("/v1/commitments/{id}/events", commitments.post_event)
    app.router.add_get("/v1/commitments/{id}/status", commitments.get_status)
    app.router.add_get("/v1/commitments/{id}/history", commitments.get_history)
