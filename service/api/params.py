"""Query-parameter parsing that fails with a 400 naming the parameter."""

from __future__ import annotations

from aiohttp import web

from service.api.keys import SETTINGS
from service.domain.errors import InvalidParameter


def int_param(
    request: web.Request, name: str, default: int, *, minimum: int = 0, maximum: int | None = None
) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameter(name, f"{name} must be an integer, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise InvalidParameter(name, f"{name} must be {bounds}, got {value}")
    return value


def limit_param(request: web.Request) -> int:
    settings = request.app[SETTINGS]
    return int_param(
        request, "limit", settings.page_limit_default, minimum=1, maximum=settings.page_limit_max
    )


def choice_param(request: web.Request, name: str, choices: tuple[str, ...], default: str) -> str:
    raw = request.query.get(name) or default
    if raw not in choices:
        raise InvalidParameter(name, f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def list_param(request: web.Request, name: str) -> list[str]:
    """Repeated (?type=a&type=b) or comma-separated (?type=a,b) values."""
    values = [v for raw in request.query.getall(name, []) for v in raw.split(",") if v]
    return values
