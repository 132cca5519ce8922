"""The OpenAPI 3.1 document, assembled from the OPENAPI_PATHS each view module declares."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from aiohttp import web

from service.api import spec_commitments, spec_ledger, spec_streams
from service.api.rendering import json_response

SPEC_MODULES: list[ModuleType] = [spec_streams, spec_ledger, spec_commitments]

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
    "additionalProperties": True,
}


def build_document() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Problem": PROBLEM}
    for module in SPEC_MODULES:
        paths.update(module.OPENAPI_PATHS)
        schemas.update(getattr(module, "OPENAPI_SCHEMAS", {}))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Pledger",
            "version": "1",
            "description": (
                "An event-sourced commitments ledger with two clocks and a verifiable log."
            ),
        },
        "paths": paths,
        "components": {"schemas": schemas},
    }


async def openapi_document(request: web.Request) -> web.Response:
    return json_response(build_document())
