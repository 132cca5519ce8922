"""Authentication on every request: the bearer token, looked up in the in-process snapshot.

Writes need a valid token (401 with WWW-Authenticate otherwise); reads are public unless
PLEDGER_READS=token. A token that is presented must be valid, on reads too.
"""

from __future__ import annotations

from aiohttp import web

from service.api.keys import AUTH, SETTINGS, WRITER
from service.api.problems import Handler
from service.auth.rights import Writer
from service.domain.errors import Unauthenticated

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OPEN_PATHS = frozenset({"/healthz", "/readyz"})


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.match_info.http_exception is not None:
        return await handler(request)  # no such route or method: 404/405 come first
    header = request.headers.get("Authorization")
    if header is not None:
        request[WRITER] = _writer(request, header)
    elif request.path not in OPEN_PATHS and (
        request.method not in READ_METHODS or request.app[SETTINGS].reads == "token"
    ):
        raise Unauthenticated()
    return await handler(request)


def _writer(request: web.Request, header: str) -> Writer:
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("send the token as 'Authorization: Bearer <token>'")
    auth = request.app[AUTH]
    principal = auth.lookup(secret.strip())
    if principal is None:
        raise Unauthenticated("the bearer token is unknown or revoked")
    return Writer(principal, auth.grant(principal.party))


def writer(request: web.Request) -> Writer:
    """The authenticated writer; every write route has one (the middleware made sure)."""
    if WRITER not in request:
        raise Unauthenticated()
    return request[WRITER]


def client_key(request: web.Request) -> str:
    """Who a limit counts against: the presented token's principal, else the client address.

    The rate limit runs before authentication, so that floods of bad requests are throttled
    too; it finds the principal here the same way, by an in-process lookup (no database).
    """
    if WRITER in request:
        name: str | None = request[WRITER].principal.name
    else:
        name = _presented(request)
    return f"principal:{name}" if name else f"address:{request.remote}"


def _presented(request: web.Request) -> str | None:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    auth = request.app.get(AUTH)
    if auth is None or scheme.lower() != "bearer" or not secret.strip():
        return None
    principal = auth.lookup(secret.strip())
    return None if principal is None else principal.name
