"""JSON responses, rendered one way everywhere."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def json_response(body: Any, *, status: int = 200) -> web.Response:
    return web.Response(status=status, text=dumps(body), content_type="application/json")
