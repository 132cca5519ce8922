"""Guards every request passes before a view: no control characters in the URL, safe headers
on every response, and error bodies whose echoed values are cut to a bound."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from service.domain.errors import InvalidParameter

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# C0 controls and DEL: never part of an id, a cursor or a time; a NUL also breaks PostgreSQL
# text, and CR/LF would forge lines wherever the value is logged.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Unpaired UTF-16 surrogates cannot be encoded as UTF-8 for the database or the response.
SURROGATE = re.compile(r"[\ud800-\udfff]")
ECHO_MAX = 200  # characters of a client's value an error body repeats
MAX_QUERY_PARAMS = 50
RETRY_AFTER_SECONDS = "1"  # a database outage or a full server: worth asking again soon


def cut(value: str, limit: int = ECHO_MAX) -> str:
    """`value`, or its first `limit` characters and how many more there were."""
    if len(value) <= limit:
        return value
    return f"{value[:limit]}... ({len(value) - limit} more characters)"


def _refuse(name: str, value: str) -> None:
    bad = CONTROL.search(value) or SURROGATE.search(value)
    if bad:
        char = f"U+{ord(bad.group()):04X}"
        raise InvalidParameter(
            cut(name, 60), f"{cut(name, 60)} contains the character {char}, which is not allowed"
        )


def check_url(request: web.Request) -> None:
    """400 naming the part of the URL that holds a control character or a lone surrogate."""
    _refuse("path", request.path)
    if len(request.query) > MAX_QUERY_PARAMS:
        raise InvalidParameter("query", f"at most {MAX_QUERY_PARAMS} query parameters are allowed")
    for name, value in request.query.items():
        _refuse("query parameter name", name)
        _refuse(name, value)


@web.middleware
async def guard_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    check_url(request)
    return await handler(request)


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# HTML pages get a policy that allows only their own origin; JSON gets one that allows nothing,
# so that a response opened in a browser by mistake cannot run anything.
CSP_HTML = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
CSP_OTHER = "default-src 'none'; frame-ancestors 'none'"


async def security_headers(request: web.BaseRequest, response: web.StreamResponse) -> None:
    """on_response_prepare: runs for every response, errors and streams included."""
    headers = response.headers
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    html = (response.content_type or "").startswith("text/html")
    headers.setdefault("Content-Security-Policy", CSP_HTML if html else CSP_OTHER)
    if response.status >= 400 or request.method not in ("GET", "HEAD"):
        headers.setdefault("Cache-Control", "no-store")
    if response.status in (503, 429):
        headers.setdefault("Retry-After", RETRY_AFTER_SECONDS)
    headers["Server"] = "pledger"  # no versions: they only help an attacker pick an exploit


def bounded_problem(body: dict[str, Any]) -> dict[str, Any]:
    """A problem document whose string members are cut, so no error echoes a huge value."""
    return {k: cut(v, 2000 if k == "detail" else ECHO_MAX) if isinstance(v, str) else v
            for k, v in body.items()}  # fmt: skip


def setup_guards(app: web.Application) -> None:
    app.on_response_prepare.append(security_headers)
