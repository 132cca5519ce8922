"""OpenAPI paths of parties, agreements, commitments, evidence, status, history and compliance.

Request body schemas come from the same pydantic models that validate the bodies, so the
document cannot drift from what the service accepts.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from service.api.specparts import json_body, path_param, problems, query
from service.domain.events import SCHEDULES, VERDICTS
from service.domain.evidence import AGREEMENT, COMMITMENT, EVIDENCE, PARTY
from service.domain.status import AgreementTally, CommitmentStatus, Tally

REF = "#/components/schemas/{model}"
OPENAPI_SCHEMAS: dict[str, Any] = {}


def _schema(name: str, adapter: TypeAdapter[Any]) -> dict[str, Any]:
    """The adapter's JSON Schema under `name`, its nested models as components too."""
    schema = adapter.json_schema(ref_template=REF)
    OPENAPI_SCHEMAS.update(schema.pop("$defs", {}))
    OPENAPI_SCHEMAS[name] = schema
    return {"$ref": REF.format(model=name)}


PARTY_BODY = _schema("RegisterParty", PARTY)
AGREEMENT_BODY = _schema("RecordAgreement", AGREEMENT)
COMMITMENT_BODY = _schema("MakeCommitment", COMMITMENT)
EVIDENCE_BODY = _schema("Evidence", EVIDENCE)
STATUS = _schema("CommitmentStatus", TypeAdapter(CommitmentStatus))
TALLY = _schema("Tally", TypeAdapter(Tally))
AGREEMENT_TALLY = _schema("AgreementTally", TypeAdapter(AgreementTally))

WRITTEN = {
    "type": "object",
    "description": "Where the write landed. A retry with the same Idempotency-Key gets the"
    " original body again (header Idempotent-Replayed: true) and appends nothing.",
    "properties": {
        "event_id": {"type": "string", "format": "uuid"},
        "stream_id": {"type": "string"},
        "type": {"type": "string"},
        "version": {"type": "integer", "minimum": 1},
        "position": {"type": "integer", "minimum": 1},
    },
}
OPENAPI_SCHEMAS["Written"] = WRITTEN
LINE = {
    "type": "object",
    "description": "A commitment's line in a list or a compliance answer",
    "properties": {
        "id": {"type": "string"},
        "promisor": {"type": "string"},
        "promisees": {"type": "array", "items": {"type": "string"}},
        "agreement": {"type": ["string", "null"]},
        "verdict": {"enum": list(VERDICTS)},
        "disputed": {"type": "boolean"},
        "schedule": {"enum": list(SCHEDULES)},
        "due_by": {"type": ["string", "null"], "format": "date-time"},
        "last_position": {"type": "integer"},
    },
}
OPENAPI_SCHEMAS["CommitmentLine"] = LINE
LINES = {"type": "array", "items": {"$ref": REF.format(model="CommitmentLine")}}

IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,200}$"},
    "description": "a retry with the same key and body returns the original 201; another body 409",
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": 'the stream version the caller saw ("3", the ETag); 412 when it has moved',
}
TIME = {"type": "string", "description": "YYYY-MM-DD (end of that day) or ISO 8601 with offset"}
AS_OF = query("as_of", TIME, "valid time V (default now)")
KNOWN_AT = query("known_at", TIME, "transaction time K (default now)")
MIN_POSITION = query(
    "min_position",
    {"type": "integer", "minimum": 0},
    "wait until the read tables have passed this position (a write's `position`); 503 if not"
    " within `wait` seconds",
)
WAIT = query("wait", {"type": "integer", "minimum": 0, "maximum": 30, "default": 5}, "seconds")
LIMIT = query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "page size")
READ_SIDE = [AS_OF, KNOWN_AT, MIN_POSITION, WAIT, LIMIT]


def _ok(description: str, schema: dict[str, Any], status: str = "200") -> dict[str, Any]:
    content = {"application/json": {"schema": schema}}
    return {status: {"description": description, "content": content}}


def _create(summary: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "summary": summary,
        "parameters": [IDEMPOTENCY],
        "requestBody": json_body(body),
        "responses": {
            **_ok("created; Location and ETag (stream version) headers", WRITTEN, "201"),
            **problems(400, 409, 413, 415, 422, 503),
        },
    }


def _get(
    summary: str, schema: dict[str, Any], *params: Any, errors: tuple[int, ...] = (404,)
) -> dict[str, Any]:
    return {
        "summary": summary,
        "parameters": [path_param("id"), *params],
        "responses": {**_ok(summary, schema), **problems(400, *errors, 503)},
    }


def _list(summary: str, key: str, item: dict[str, Any], *params: Any) -> dict[str, Any]:
    schema = {"type": "object", "properties": {key: {"type": "array", "items": item}, "next": {}}}
    return {
        "summary": summary,
        "parameters": list(params),
        "responses": {**_ok(summary, schema), **problems(400, 503)},
    }


ENTITY = {
    "type": "object",
    "description": "the body as created, with event_id, position, recorded_at",
}
AFTER_POSITION = query(
    "after", {"type": "integer", "minimum": 0}, "cursor: the previous page's `next`"
)
COMPLIANCE = {
    "allOf": [TALLY, {"properties": {"commitments": LINES, "next": {"type": ["string", "null"]}}}]
}
AGREEMENT_COMPLIANCE = {"allOf": [AGREEMENT_TALLY, {"properties": {"commitments": LINES}}]}
HISTORY = {
    "type": "object",
    "properties": {
        "commitment": {"type": "string"},
        "known_at": {"type": "string"},
        "events": {
            "type": "array",
            "items": {
                "type": "object",
                "description": "an event with both times, `corrected` and `corrected_by`",
            },
        },
    },
}

OPENAPI_PATHS: dict[str, Any] = {
    "/v1/parties": {
        "post": _create("Register a party (id: a slug)", PARTY_BODY),
        "get": _list("Parties in the order recorded", "parties", ENTITY, AFTER_POSITION, LIMIT),
    },
    "/v1/parties/{id}": {"get": _get("A party", ENTITY)},
    "/v1/parties/{id}/compliance": {
        "get": _get(
            "Compliance of the commitments a party made", COMPLIANCE, *READ_SIDE, errors=(404,)
        )
    },
    "/v1/agreements": {
        "post": _create("Record an agreement", AGREEMENT_BODY),
        "get": _list(
            "Agreements in the order recorded", "agreements", ENTITY, AFTER_POSITION, LIMIT
        ),
    },
    "/v1/agreements/{id}": {"get": _get("An agreement", ENTITY)},
    "/v1/agreements/{id}/compliance": {
        "get": _get(
            "Compliance of an agreement, overall and per promisor", AGREEMENT_COMPLIANCE, *READ_SIDE
        )
    },
    "/v1/commitments": {
        "post": _create("Make a commitment", COMMITMENT_BODY),
        "get": _list(
            "Commitments by id, current from the read tables or folded at (as_of, known_at)",
            "commitments",
            LINE,
            *[
                query(n, {"type": "string"}, f"only this {n}")
                for n in ("promisor", "promisee", "agreement")
            ],
            query("verdict", {"enum": list(VERDICTS)}, "only this verdict"),
            query("schedule", {"enum": list(SCHEDULES)}, "only this schedule"),
            query("after", {"type": "string"}, "cursor: the previous page's `next` (an id)"),
            *READ_SIDE,
        ),
    },
    "/v1/commitments/{id}": {
        "get": _get("A commitment as made, its version (ETag) and its status now", ENTITY)
    },
    "/v1/commitments/{id}/events": {
        "post": {
            **_create("Record evidence or a change, told apart by `type`", EVIDENCE_BODY),
            "parameters": [path_param("id"), IDEMPOTENCY, IF_MATCH],
            "responses": {
                **_ok("recorded; ETag is the new stream version", WRITTEN, "201"),
                **problems(400, 404, 409, 412, 413, 415, 422, 503),
            },
        }
    },
    "/v1/commitments/{id}/status": {
        "get": _get(
            "Status at (as_of, known_at); 404 when it does not exist then", STATUS, AS_OF, KNOWN_AT
        )
    },
    "/v1/commitments/{id}/history": {
        "get": _get("Every event known at known_at, corrections marked", HISTORY, KNOWN_AT)
    },
}
