"""CORS for browser clients of other origins: off unless PLEDGER_CORS_ORIGINS lists them.

Preflights are answered here; every other response gets its headers as it is prepared, so
streams (SSE) carry them too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# What a cross-origin script may send: conditional requests, idempotent retries, resuming a
# live stream, its own request id, and a bearer token.
ALLOW_HEADERS = (
    "Authorization, Content-Type, Idempotency-Key, If-Match, If-None-Match, Last-Event-ID,"
    " X-Request-Id"
)
# What it may read from the answers (the rest of the headers are hidden from it by default).
EXPOSE_HEADERS = "ETag, Location, Link, Idempotent-Replayed, Retry-After, X-Request-Id"
ALLOW_METHODS = "GET, HEAD, POST, PUT, DELETE, OPTIONS"  # PUT, DELETE: grants, principals
MAX_AGE_SECONDS = "600"


def parse_origins(setting: str) -> frozenset[str]:
    """`https://a.example, https://b.example`, or `*` for any origin (no credentials then)."""
    return frozenset(o.strip().rstrip("/") for o in setting.split(",") if o.strip())


def setup_cors(app: web.Application, setting: str) -> None:
    origins = parse_origins(setting)
    if not origins:
        return

    def allowed(request: web.Request) -> str | None:
        origin = request.headers.get("Origin")
        if origin is None:
            return None
        return origin if "*" in origins or origin in origins else None

    @web.middleware
    async def preflight(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = allowed(request)
        is_preflight = (
            request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers
        )
        if not is_preflight or origin is None or _no_such_path(request):
            return await handler(request)
        return web.Response(
            status=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": ALLOW_METHODS,
                "Access-Control-Allow-Headers": ALLOW_HEADERS,
                "Access-Control-Max-Age": MAX_AGE_SECONDS,
                "Vary": "Origin",
            },
        )

    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        origin = allowed(request)
        if origin is not None and "Access-Control-Allow-Origin" not in response.headers:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
            response.headers.add("Vary", "Origin")

    app.middlewares.append(preflight)  # innermost: logged, counted, and before the router's 405
    app.on_response_prepare.append(on_prepare)


def _no_such_path(request: web.Request) -> bool:
    error = request.match_info.http_exception
    return error is not None and error.status == 404
