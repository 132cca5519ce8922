"""RFC 9457 problem+json for every error, through one table; and the per-request log line."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from service.api.guards import bounded_problem
from service.api.keys import REQUEST_ID, SETTINGS
from service.api.schemas import Problem
from service.domain import errors
from service.observability.logs import REQUEST_ID as REQUEST_ID_VAR
from service.store.errors import CONNECTION_ERRORS

log = logging.getLogger("pledger.api")
access_log = logging.getLogger("pledger.access")

PROBLEM_BASE = "https://pledger.dev/problems/"
# Echoed, logged and kept in event metadata: only short, plain ids (else the server makes one).
REQUEST_ID_FORM = re.compile(r"[A-Za-z0-9._-]{1,64}")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# The one table: error class -> (HTTP status, stable problem type). First match wins.
STATUS_TABLE: list[tuple[type[errors.DomainError], int, str]] = [
    (errors.StreamNotFound, 404, "stream-not-found"),
    (errors.NotFound, 404, "not-found"),
    (errors.InvalidParameter, 400, "invalid-parameter"),
    (errors.ValidationFailed, 422, "validation-failed"),
    (errors.AlreadyAgreed, 409, "already-agreed"),
    (errors.AlreadyDissolved, 409, "already-dissolved"),
    (errors.AlreadyExists, 409, "already-exists"),
    (errors.PreconditionFailed, 412, "precondition-failed"),
    (errors.ConcurrencyConflict, 409, "version-conflict"),
    (errors.DuplicateEventId, 409, "event-id-reused"),
    (errors.Unauthenticated, 401, "unauthenticated"),
    (errors.Forbidden, 403, "forbidden"),
    (errors.Unavailable, 503, "unavailable"),
]

RETRY_AFTER = "1"  # seconds: outages and a lagging read side are short, or the retry 503s again

HTTP_TYPES = {
    400: "bad-request",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    408: "request-timeout",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
}


def problem(status: int, type_: str, title: str, detail: str, **extra: Any) -> web.Response:
    """A problem document, serialised through the Problem model the OpenAPI document names."""
    fields = bounded_problem({k: v for k, v in extra.items() if v is not None})
    detail = bounded_problem({"detail": detail})["detail"]
    body = Problem(type=PROBLEM_BASE + type_, title=title, status=status, detail=detail, **fields)
    response = web.Response(
        status=status,
        body=body.model_dump_json(exclude_none=True, fallback=str).encode("utf-8"),
        content_type="application/problem+json",
    )
    if status == 503:
        response.headers["Retry-After"] = RETRY_AFTER
    return response


def domain_problem(error: errors.DomainError, request: web.Request) -> web.Response:
    for cls, status, type_ in STATUS_TABLE:
        if isinstance(error, cls):
            if isinstance(error, errors.Forbidden):
                type_ = error.problem_type  # one per missing right, all of them 403
            response = problem(
                status, type_, error.title, error.detail, instance=request.path, **error.fields
            )
            if status == 401:
                response.headers["WWW-Authenticate"] = 'Bearer realm="pledger"'
            return response
    return problem(400, "bad-request", error.title, error.detail, instance=request.path)


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except errors.DomainError as e:
        return domain_problem(e, request)
    except web.HTTPException as e:
        if e.status < 400:
            raise
        type_ = HTTP_TYPES.get(e.status, "http-error")
        detail = e.text if e.text and not e.text.startswith(f"{e.status}:") else e.reason
        if e.status == 413:
            limit = request.app[SETTINGS].max_body_bytes
            detail = f"the request body is larger than the limit of {limit} bytes"
        response = problem(e.status, type_, e.reason, detail, instance=request.path)
        for name in ("Allow",):
            if name in e.headers:
                response.headers[name] = e.headers[name]
        return response
    except CONNECTION_ERRORS as e:
        log.warning("database unavailable: %s", e)
        return problem(503, "unavailable", "Service unavailable", "the database cannot be reached")
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem(
            500, "internal", "Internal error", "an unexpected error occurred; it was logged"
        )


@web.middleware
async def request_log_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = request.headers.get("X-Request-Id", "")
    if not REQUEST_ID_FORM.fullmatch(request_id):
        request_id = uuid.uuid4().hex  # a client's id is echoed and logged only when it is tame
    request[REQUEST_ID] = request_id
    REQUEST_ID_VAR.set(request_id)  # every log line of this request carries it
    started = time.perf_counter()
    status = 500
    try:
        try:
            response = await handler(request)
        except asyncio.CancelledError:
            status = 499  # the client went away or the server shut the stream down
            raise
        status = response.status
        if not response.prepared:
            response.headers["X-Request-Id"] = request_id
        return response
    finally:
        if request.app[SETTINGS].access_log:
            duration_ms = round((time.perf_counter() - started) * 1000, 2)
            access_log.info(
                "%s %s %s",
                request.method,
                request.path,
                status,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": duration_ms,
                },
            )
