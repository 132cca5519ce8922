"""OpenAPI paths of the verifiable ledger (docs/ledger.md)."""

from __future__ import annotations

from typing import Any

from service.api.specparts import path_param, problems, query

HEX = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
SIZE = {"type": "integer", "minimum": 1}
CHECKPOINT = {
    "type": "object",
    "required": ["tree_size", "root_hash", "signed_at", "checkpoint"],
    "properties": {
        "tree_size": SIZE,
        "root_hash": HEX,
        "signed_at": {"type": "string", "format": "date-time"},
        "checkpoint": {
            "type": "string",
            "description": "C2SP tlog-checkpoint in a C2SP signed note (Ed25519)",
        },
    },
}


def _ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


OPENAPI_SCHEMAS = {"Checkpoint": CHECKPOINT}
OPENAPI_PATHS: dict[str, Any] = {
    "/v1/ledger/checkpoint": {
        "get": {
            "summary": "The latest signed checkpoint",
            "responses": {
                "200": _ok("checkpoint", {"$ref": "#/components/schemas/Checkpoint"}),
                **problems(404, 503),
            },
        }
    },
    "/v1/ledger/checkpoints": {
        "get": {
            "summary": "Signed checkpoints in tree-size order, after a size",
            "parameters": [
                query("after_size", {"type": "integer", "minimum": 0}, "exclusive lower bound"),
                query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "page size"),
            ],
            "responses": {
                "200": _ok(
                    "a page",
                    {
                        "type": "object",
                        "properties": {
                            "checkpoints": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/Checkpoint"},
                            },
                            "next": {"type": ["integer", "null"]},
                        },
                    },
                ),
                **problems(400, 503),
            },
        }
    },
    "/v1/ledger/key": {
        "get": {
            "summary": "The checkpoint verifier key: <name>+<key id>+<base64(0x01 || Ed25519 key)>",
            "responses": {"200": _ok("key", {"type": "object"}), **problems(503)},
        }
    },
    "/v1/events/{position}/proof": {
        "get": {
            "summary": "RFC 6962 inclusion proof of the event at a position in a tree size",
            "parameters": [
                path_param("position"),
                query("tree_size", SIZE, "default: the current tree size"),
            ],
            "responses": {
                "200": _ok(
                    "proof",
                    {
                        "type": "object",
                        "properties": {
                            "position": SIZE,
                            "leaf_index": {"type": "integer"},
                            "tree_size": SIZE,
                            "leaf_hash": HEX,
                            "root_hash": HEX,
                            "audit_path": {"type": "array", "items": HEX},
                        },
                    },
                ),
                **problems(400, 404, 503),
            },
        }
    },
    "/v1/ledger/consistency": {
        "get": {
            "summary": "RFC 6962 consistency proof between two tree sizes",
            "parameters": [
                {**query("first", SIZE, "the older tree size"), "required": True},
                query("second", SIZE, "the newer tree size; default: the current tree size"),
            ],
            "responses": {
                "200": _ok(
                    "proof",
                    {
                        "type": "object",
                        "properties": {
                            "first": SIZE,
                            "second": SIZE,
                            "first_root": HEX,
                            "second_root": HEX,
                            "proof": {"type": "array", "items": HEX},
                        },
                    },
                ),
                **problems(400, 404, 503),
            },
        }
    },
}
