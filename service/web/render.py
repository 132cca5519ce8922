"""Templates to responses: one Jinja environment, the security headers every page carries, and the
HTML error pages (404, 400, 503) that stand in for problem+json outside the API."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup

from service.domain.errors import DomainError, InvalidParameter, NotFound, Unavailable
from service.web import format as fmt

log = logging.getLogger("pledger.web")

# Same-origin scripts and styles only: no inline script, no inline style attribute, no CDN.
# SVG presentation attributes (fill, stroke) are not styles, so the server-drawn SVG passes.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
ENV = web.AppKey("web_templates", jinja2.Environment)
Page = Callable[[web.Request], Awaitable[web.StreamResponse]]


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("service.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(fmt.FILTERS)
    env.globals.update(fmt.GLOBALS)
    return env


def render(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    text = request.app[ENV].get_template(template).render(request=request, **context)
    response = web.Response(text=text, status=status, content_type="text/html", charset="utf-8")
    response.headers.update(HEADERS)
    return response


def fragment(request: web.Request, template: str, **context: Any) -> Markup:
    """A part of a page rendered on its own, to be memoised and placed into pages as it is."""
    return Markup(request.app[ENV].get_template(template).render(**context))


# Which errors a page shows as which status; the API's problem table does the same for JSON.
ERROR_PAGES: list[tuple[type[DomainError], int, str]] = [
    (NotFound, 404, "Not found"),
    (InvalidParameter, 400, "Bad request"),
    (Unavailable, 503, "Unavailable"),
]


def page(handler: Page) -> Page:
    """Wrap a page handler so that a domain error becomes an HTML error page, not problem+json."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except DomainError as error:
            for cls, status, title in ERROR_PAGES:
                if isinstance(error, cls):
                    return error_page(request, status, title, error.detail)
            raise

    return wrapped


def error_page(request: web.Request, status: int, title: str, detail: str) -> web.Response:
    if status >= 500:
        log.warning("page %s answered %d: %s", request.path, status, detail)
    return render(request, "error.html", {"title": title, "detail": detail}, status=status)
