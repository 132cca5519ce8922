"""The whole URL table: each Route builds its aiohttp route and its OpenAPI operation.

To add an endpoint, append one entry: Route(method, path, view, operation_id, tag, summary,
responses={success status: response model}, errors=(problem statuses), params=a Params model
(service/api/params.py: the same bounds the server enforces), body=TypeAdapter of the request
model with body_name, request_headers/headers by name (service/api/openapi.py), example=...).
The view returns Reply(body) or Reply(body, status, headers); body is that model, or a dict
that validates as it (service/api/schemas.py). The document and the router cannot disagree.
"""

from __future__ import annotations

from aiohttp import web

from service.api import (
    commitments,
    compliance,
    entities,
    health,
    ledger,
    openapi,
    principals,
    sse,
    streams,
)
from service.api import params as p
from service.api import principal_schemas as a
from service.api import schemas as s
from service.api import webhooks as hooks
from service.api.keys import SETTINGS
from service.api.rendering import json_response
from service.api.table import Route
from service.domain.evidence import AGREEMENT, COMMITMENT, EVIDENCE, PARTY, PARTY_EVENT
from service.domain.status import CommitmentStatus
from service.log import cloudevents

CREATED = ("Location", "ETag", "Idempotent-Replayed")
KEY = ("Idempotency-Key",)


async def openapi_document(request: web.Request) -> web.StreamResponse:
    return json_response(openapi.build_document(ROUTES, request.app[SETTINGS]))


ROUTES: list[Route] = [
    Route("GET", "/healthz", health.healthz, "getHealth", "operations", "The process is up",
          {200: s.Health}),
    Route("GET", "/readyz", health.readyz, "getReadiness", "operations",
          "Database reachable and migrations applied", {200: s.Ready, 503: s.Ready}),
    Route("GET", "/v1/openapi.json", openapi_document, "getOpenApi", "operations",
          "This document", {200: None}),
    # The raw log
    Route("GET", "/v1/streams/{stream_id}", streams.get_stream, "getStream", "log",
          "Read one stream in version order; ETag is the stream version", {200: s.StreamPage},
          errors=(404, 503), params=p.StreamParams, headers=("ETag", "Link")),
    Route("GET", "/v1/events", streams.get_events, "listEvents", "log",
          "Read the global log in position order", {200: s.EventsPage}, errors=(503,),
          params=p.EventsParams, headers=("Link",),
          variants={cloudevents.BATCH_TYPE: s.CloudEventBatch}),
    Route("GET", "/v1/events/live", sse.live_events, "streamEvents", "log",
          "Server-Sent Events from a position; resumes with Last-Event-ID", {200: None},
          params=p.LiveParams, request_headers=("Last-Event-ID",), media="text/event-stream"),
    # The verifiable ledger (docs/ledger.md)
    Route("GET", "/v1/events/{position}/proof", ledger.get_inclusion_proof,
          "getInclusionProof", "ledger",
          "RFC 6962 inclusion proof of the event at a position in a tree size",
          {200: s.InclusionProof}, errors=(404, 503), params=p.ProofParams,
          path_params=p.PositionPath),
    Route("GET", "/v1/ledger/checkpoint", ledger.get_checkpoint, "getCheckpoint", "ledger",
          "The latest signed checkpoint", {200: s.Checkpoint}, errors=(404, 503)),
    Route("GET", "/v1/ledger/checkpoints", ledger.list_checkpoints, "listCheckpoints", "ledger",
          "Signed checkpoints in tree-size order, after a size", {200: s.CheckpointPage},
          errors=(503,), params=p.CheckpointParams),
    Route("GET", "/v1/ledger/key", ledger.get_key, "getLedgerKey", "ledger",
          "The checkpoint verifier key", {200: s.LedgerKey}, errors=(503,)),
    Route("GET", "/v1/ledger/consistency", ledger.get_consistency_proof,
          "getConsistencyProof", "ledger", "RFC 6962 consistency proof between two tree sizes",
          {200: s.ConsistencyProof}, errors=(404, 503), params=p.ConsistencyParams),
    # Parties, agreements, commitments and their evidence (docs/api.md)
    Route("POST", "/v1/parties", entities.post_party, "registerParty", "parties",
          "Register a party (id: a slug)", {201: s.Created}, body=PARTY,
          body_name="RegisterParty", errors=(409, 503), request_headers=KEY, headers=CREATED,
          example={"id": "acme", "name": "Acme Ltd", "kind": "organization"}),
    Route("GET", "/v1/parties", entities.list_parties, "listParties", "parties",
          "Parties in the order recorded", {200: s.PartyPage}, errors=(503,),
          params=p.EntityPage, headers=("Link",)),
    Route("GET", "/v1/parties/{id}", entities.get_party, "getParty", "parties",
          "A party as registered, with its grant and when it ceased at (as_of, known_at)",
          {200: a.PartyWithGrant}, errors=(404, 503), params=p.StatusParams),
    Route("PUT", "/v1/parties/{id}/grant", principals.put_grant, "setPartyGrant", "principals",
          "Set the highest strength the party may state (a grant_changed event)",
          {200: a.GrantChanged}, body=a.SET_GRANT, body_name="SetGrant",
          errors=(401, 403, 404, 503), example={"max_strength": "verified"}),
    Route("POST", "/v1/parties/{id}/events", entities.post_party_event, "recordPartyEvent",
          "parties", "Record a party's dissolution, or correct one, told apart by `type`",
          {201: s.PartyRecorded}, body=PARTY_EVENT, body_name="PartyEvent",
          errors=(401, 403, 404, 409, 503), request_headers=KEY, headers=CREATED,
          example={"type": "party_dissolved", "occurred_at": "2024-04-01",
                   "source": {"title": "Official gazette"}}),
    Route("GET", "/v1/parties/{id}/compliance", compliance.party, "getPartyCompliance",
          "parties", "Compliance of the commitments a party made", {200: s.PartyCompliance},
          errors=(404, 503), params=p.ReadSideParams),
    Route("POST", "/v1/agreements", entities.post_agreement, "recordAgreement", "agreements",
          "Record an agreement", {201: s.Created}, body=AGREEMENT, body_name="RecordAgreement",
          errors=(409, 503), request_headers=KEY, headers=CREATED,
          example={"id": "accord", "title": "The accord", "parties": ["acme", "bolt"]}),
    Route("GET", "/v1/agreements", entities.list_agreements, "listAgreements", "agreements",
          "Agreements in the order recorded", {200: s.AgreementPage}, errors=(503,),
          params=p.EntityPage, headers=("Link",)),
    Route("GET", "/v1/agreements/{id}", entities.get_agreement, "getAgreement", "agreements",
          "An agreement as recorded", {200: s.Agreement}, errors=(404, 503)),
    Route("GET", "/v1/agreements/{id}/compliance", compliance.agreement,
          "getAgreementCompliance", "agreements",
          "Compliance of an agreement, overall and per promisor", {200: s.AgreementCompliance},
          errors=(404, 503), params=p.ReadSideParams),
    Route("POST", "/v1/commitments", commitments.post_commitment, "makeCommitment",
          "commitments", "Make a commitment", {201: s.Created}, body=COMMITMENT,
          body_name="MakeCommitment", errors=(409, 503), request_headers=KEY, headers=CREATED,
          example={
              "id": "c-1", "promisor": "acme", "promisees": ["bolt"], "text": "Deliver",
              "made_at": "2024-01-01", "due_by": "2024-06-30",
              "source": {"title": "Press release"}}),
    Route("GET", "/v1/commitments", commitments.list_commitments, "listCommitments",
          "commitments",
          "Commitments by id, current from the read side or folded at (as_of, known_at)",
          {200: s.CommitmentPage}, errors=(503,), params=p.CommitmentParams, headers=("Link",)),
    Route("GET", "/v1/commitments/{id}", commitments.get_commitment, "getCommitment",
          "commitments", "A commitment as made, its version (ETag) and its status now",
          {200: s.Commitment}, errors=(404, 503), headers=("ETag",)),
    Route("POST", "/v1/commitments/{id}/events", commitments.post_event, "recordEvidence",
          "commitments", "Record evidence or a change, told apart by `type`",
          {201: s.Recorded}, body=EVIDENCE, body_name="Evidence",
          errors=(404, 409, 412, 503), request_headers=("Idempotency-Key", "If-Match"),
          headers=CREATED, example={
              "type": "assessment_recorded", "assessor": "monitor", "verdict": "fulfilled",
              "strength": "verified", "occurred_at": "2024-07-01",
              "source": {"url": "https://example.org/report"}}),
    Route("GET", "/v1/commitments/{id}/status", commitments.get_status, "getCommitmentStatus",
          "commitments", "Status at (as_of, known_at); 404 when it does not exist then",
          {200: CommitmentStatus}, errors=(404, 503), params=p.StatusParams),
    Route("GET", "/v1/commitments/{id}/history", commitments.get_history,
          "getCommitmentHistory", "commitments",
          "Every event known at known_at, corrections marked", {200: s.History},
          errors=(404, 503), params=p.HistoryParams),
    # Webhooks on derived status changes (docs/api.md#webhooks)
    Route("POST", "/v1/webhooks", hooks.post_webhook, "createWebhook", "webhooks",
          "Subscribe a URL to status changes; the answer alone shows the secret",
          {201: hooks.CreatedWebhook}, body=hooks.BODY, body_name="CreateWebhook",
          errors=(401, 503), headers=hooks.LOCATION,
          example={"url": "https://alerts.example.org/pledger", "party": "acme",
                   "changes": ["verdict"]}),
    Route("GET", "/v1/webhooks", hooks.list_webhooks, "listWebhooks", "webhooks",
          "The subscriptions the caller manages, in id order", {200: hooks.WebhookPage},
          errors=(401, 503), params=hooks.WebhookPageParams),
    Route("GET", "/v1/webhooks/{id}", hooks.get_webhook, "getWebhook", "webhooks",
          "One subscription: filters and state (active, or disabled and why)",
          {200: hooks.Webhook}, errors=(401, 404, 503)),
    Route("DELETE", "/v1/webhooks/{id}", hooks.delete_webhook, "deleteWebhook", "webhooks",
          "Delete a subscription, its queued deliveries and its log", {204: None},
          errors=(401, 404, 503)),
    Route("GET", "/v1/webhooks/{id}/deliveries", hooks.list_deliveries, "listWebhookDeliveries",
          "webhooks", "The delivery log, newest first: one entry per attempt",
          {200: hooks.DeliveryPage}, errors=(401, 404, 503), params=hooks.DeliveryPageParams),
    # Principals and their tokens (administrators; docs/security.md)
    Route("POST", "/v1/principals", principals.post_principal, "addPrincipal", "principals",
          "Add a principal; a party's is recorded in the party's stream",
          {201: a.PrincipalAdded}, body=a.ADD_PRINCIPAL, body_name="AddPrincipal",
          errors=(401, 403, 409, 503), headers=("Location",),
          example={"name": "unama-desk", "party": "unama"}),
    Route("GET", "/v1/principals", principals.list_principals, "listPrincipals", "principals",
          "Every principal with its live token count", {200: a.PrincipalList},
          errors=(401, 403, 503)),
    Route("DELETE", "/v1/principals/{name}", principals.delete_principal, "revokePrincipal",
          "principals", "Revoke a principal and all its tokens", {200: a.PrincipalRevoked},
          errors=(401, 403, 404, 422, 503)),
    Route("POST", "/v1/principals/{name}/tokens", principals.post_token, "issueToken",
          "principals", "Issue a token; the secret is in this answer only",
          {201: a.TokenIssued}, errors=(401, 403, 404, 422, 503)),
    Route("DELETE", "/v1/principals/{name}/tokens", principals.delete_tokens,
          "revokeTokens", "principals", "Revoke every token of the principal",
          {200: a.TokensRevoked}, errors=(401, 403, 404, 503)),
    Route("DELETE", "/v1/principals/{name}/tokens/{token_id}", principals.delete_tokens,
          "revokeToken", "principals", "Revoke one token", {200: a.TokensRevoked},
          errors=(401, 403, 404, 503)),
]  # fmt: skip


def setup_routes(app: web.Application) -> None:
    sse.setup_sse(app)
    for route in ROUTES:
        name = route.operation_id
        app.router.add_route(route.method, route.path, route.handler(), name=name)
