"""The OpenAPI 3.1 document, built from the route table and the models each entry names."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import JsonSchemaMode

from service.api.params import LIMIT_MAX, NO_CONTROL, Params
from service.api.schemas import Problem
from service.api.table import Route, is_list
from service.config import Settings

REF = "#/components/schemas/{model}"
PATH_SCHEMA = {"type": "string", "minLength": 1, "pattern": NO_CONTROL}
# What a client of text/event-stream reads: one object per event (`id:` is the position).
SSE_EVENT = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "event": {"type": "string"},
        "data": {"type": "string"},
    },
}
PROBLEM_MEDIA = "application/problem+json"

RESPONSE_HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {"description": 'the stream version, e.g. "3" (send it back in If-Match)'},
    "Location": {"description": "the URL of the entity written"},
    "Link": {"description": 'the next page: <url>; rel="next"'},
    "Idempotent-Replayed": {"description": "true when this is the answer to an earlier request"},
    "Retry-After": {
        "description": "seconds to wait before retrying",
        "schema": {"type": "integer"},
    },
    "X-Request-Id": {"description": "the request id (the caller's X-Request-Id, or a new one)"},
}
REQUEST_HEADERS: dict[str, dict[str, Any]] = {
    "Idempotency-Key": {
        "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,200}$"},
        "description": "a retry with the same key and body returns the original answer;"
        " the same key with another body is a 409",
    },
    "If-Match": {
        "schema": {"type": "string", "pattern": '^(W/)?"?[0-9]{1,10}"?$'},
        "description": 'the stream version the caller saw ("3", the ETag); 412 when it moved',
    },
    "Last-Event-ID": {
        "schema": {"type": "string", "pattern": "^ *[0-9]{0,19} *$"},
        "description": "resume after this position (the `id:` of the last event received)",
    },
}


def _schemas(routes: Sequence[Route]) -> tuple[dict[Any, Any], dict[str, Any]]:
    """JSON Schemas of every model the routes name, nested models as shared components."""
    wanted: list[tuple[Any, JsonSchemaMode, TypeAdapter[Any]]] = [
        (Problem, "serialization", TypeAdapter(Problem))
    ]
    for route in routes:
        for model in route.responses.values():
            if model is not None:
                wanted.append((model, "serialization", TypeAdapter(model)))
        for model in route.variants.values():
            wanted.append((model, "serialization", TypeAdapter(model)))
        if route.body is not None:
            wanted.append((route.body_name, "validation", route.body))
    unique = list({(key, mode): (key, mode, a) for key, mode, a in wanted}.values())
    by_key, defs = TypeAdapter.json_schemas(unique, ref_template=REF)
    return dict(by_key), dict(defs.get("$defs", {}))


def _parameters(route: Route, settings: Settings) -> list[dict[str, Any]]:
    found = re.findall(r"{(\w+)}", route.path)
    path_props = _properties(route.path_params) if route.path_params else {}
    parameters = [
        {"name": n, "in": "path", "required": True, "schema": path_props.get(n, PATH_SCHEMA)}
        for n in found
    ]
    required = set(route.params.model_json_schema().get("required", []))
    for name, schema in _properties(route.params).items():
        if name == "limit":
            schema = {**schema, "maximum": min(settings.page_limit_max, LIMIT_MAX)}
            schema["default"] = settings.page_limit_default
        entry = {"name": name, "in": "query", "required": name in required, "schema": schema}
        if is_list(route.params, name):
            entry |= {"style": "form", "explode": True}
        parameters.append(entry)
    for name in route.request_headers:
        parameters.append(
            {"name": name, "in": "header", "required": False, **REQUEST_HEADERS[name]}
        )
    return parameters


def _properties(model: type[Params]) -> dict[str, Any]:
    """Each parameter's schema, with the `null` of optional parameters dropped (absent = None)."""
    props: dict[str, Any] = model.model_json_schema(ref_template=REF).get("properties", {})
    out = {}
    for name, schema in props.items():
        schema = dict(schema)
        options = [s for s in schema.pop("anyOf", []) if s != {"type": "null"}]
        if len(options) == 1:
            schema |= options[0]
        elif options:
            schema["anyOf"] = options
        schema.pop("title", None)
        if schema.get("default", 0) is None:
            del schema["default"]
        out[name] = schema
    return out


def _headers(names: Sequence[str]) -> dict[str, Any]:
    return {
        n: {"schema": {"type": "string"}} | RESPONSE_HEADERS[n] for n in ("X-Request-Id", *names)
    }


def _operation(route: Route, settings: Settings, schemas: dict[Any, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, model in route.responses.items():
        names = route.headers if status == route.success else ()
        answer: dict[str, Any] = {"description": route.summary, "headers": _headers(names)}
        if status == 204:
            pass  # no body, no content type
        elif model is None:
            schema = SSE_EVENT if route.media == "text/event-stream" else {"type": "object"}
            answer["content"] = {route.media: {"schema": schema}}
        else:
            schema = schemas[(model, "serialization")]
            answer["content"] = {"application/json": {"schema": schema}}
        if status == route.success:
            for variant_media, variant in route.variants.items():
                schema = schemas[(variant, "serialization")]
                answer["content"][variant_media] = {"schema": schema}
        responses[str(status)] = answer
    problem = {"schema": schemas[(Problem, "serialization")]}
    for status in route.error_statuses():
        headers = _headers(("Retry-After",) if status == 503 else ())
        content = {PROBLEM_MEDIA: problem}
        responses[str(status)] = {"description": "problem", "headers": headers, "content": content}
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "tags": [route.tag],
        "summary": route.summary,
        "parameters": _parameters(route, settings),
        "responses": responses,
    }
    if route.body is not None:
        media: dict[str, Any] = {"schema": schemas[(route.body_name, "validation")]}
        if route.example is not None:
            media["example"] = dict(route.example)
        operation["requestBody"] = {"required": True, "content": {"application/json": media}}
    return operation


def build_document(routes: Sequence[Route], settings: Settings) -> dict[str, Any]:
    schemas, components = _schemas(routes)
    paths: dict[str, Any] = {}
    for route in routes:
        operation = _operation(route, settings, schemas)
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    for key, schema in schemas.items():
        name = key[0] if isinstance(key[0], str) else None
        if name is not None and "$ref" not in schema:  # a union body: give it its name
            components[name] = schema
            for path_item in paths.values():
                for op in path_item.values():
                    media = op.get("requestBody", {}).get("content", {}).get("application/json")
                    if media is not None and media["schema"] is schema:
                        media["schema"] = {"$ref": REF.format(model=name)}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Pledger",
            "version": "1",
            "description": "An event-sourced commitments ledger with two clocks and a verifiable"
            " log. Every error is RFC 9457 application/problem+json.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        # Writes need a token; reads are public unless PLEDGER_READS=token (docs/security.md).
        "security": [{}, {"bearer": []}],
    }
