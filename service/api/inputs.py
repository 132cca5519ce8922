"""What a write request carries besides its URL: a JSON body, Idempotency-Key, If-Match, times."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from aiohttp import web

from service.api.auth import writer
from service.api.keys import REQUEST_ID, SETTINGS
from service.api.limits import loads, read_body
from service.commitments.readmodel import At
from service.commitments.writes import Context
from service.domain.errors import InvalidParameter

JSON_TYPES = ("application/json",)
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")  # printable ASCII, no spaces
ENTITY_TAG = re.compile(r'^(?:W/)?"?(\d{1,10})"?$')


async def json_body(request: web.Request) -> object:
    """The decoded body. 415 for another media type, 400 for bad JSON, 413 over the size limit."""
    if not request.body_exists:
        raise InvalidParameter("body", "the request needs a JSON body")
    media = request.content_type
    if media not in JSON_TYPES and not media.endswith("+json"):
        raise web.HTTPUnsupportedMediaType(
            text=f"send the body as application/json, not {media or 'nothing'}"
        )
    # aiohttp raises 413 past client_max_size; a body that trickles in is a 408.
    raw = await read_body(request, request.app[SETTINGS].body_timeout_seconds)
    return loads(raw)


def context(request: web.Request) -> Context:
    """The Idempotency-Key (400 when malformed), the authenticated writer and the metadata every
    event of a request gets."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        raise InvalidParameter(
            "Idempotency-Key", "Idempotency-Key must be 1 to 200 printable ASCII characters"
        )
    # Who wrote it comes from the token alone; no header can set it.
    author = writer(request)
    metadata = {"request_id": request[REQUEST_ID], "via": "api", **author.metadata()}
    return Context(idempotency_key=key, metadata=metadata, writer=author)


def if_match(request: web.Request) -> int | None:
    """The stream version from If-Match ("3", W/"3" or 3)."""
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    found = ENTITY_TAG.match(raw.strip())
    if not found:
        detail = f'If-Match must be a stream version like "3", got {raw!r}'
        raise InvalidParameter("If-Match", detail)
    return int(found.group(1))


def query_times(as_of: datetime | None, known_at: datetime | None) -> At:
    """as_of and known_at (default now); `current` when neither was given (then the read
    tables can answer, rather than a fold at those times)."""
    now = datetime.now(UTC)
    current = as_of is None and known_at is None
    return At(as_of or now, known_at or now, current)


def written_headers(location: str, version: int, replayed: bool) -> dict[str, str]:
    headers = {"Location": location, "ETag": f'"{version}"'}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return headers
