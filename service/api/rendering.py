"""JSON responses, rendered one way everywhere."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def json_response(body: Any, *, status: int = 200) -> web.Response:
    return web.Response(status=status, text=dumps(body), content_type="application/json")


def accepts(request: web.Request, media: str) -> bool:
    """Whether the Accept header names `media` with a quality above 0 (wildcards do not count:
    the alternative media types are only ever sent to a client that asks for them by name)."""
    for item in request.headers.getall("Accept", []):
        for part in item.split(","):
            name, *options = (piece.strip() for piece in part.split(";"))
            if name.lower() != media:
                continue
            quality = next((o[2:] for o in options if o.lower().startswith("q=")), "1")
            try:
                return float(quality) > 0
            except ValueError:
                return False
    return False
