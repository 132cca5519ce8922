"""The pages' URL table, kept apart from the JSON API's (and so from its OpenAPI document)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from service.web import pages
from service.web.memo import MEMO, Memo
from service.web.render import ENV, environment

STATIC = Path(__file__).parent / "static"


def setup_pages(app: web.Application) -> None:
    app[ENV] = environment()
    app[MEMO] = Memo()
    app.router.add_get("/", pages.overview, name="page-overview")
    app.router.add_get("/commitments/{id}", pages.commitment, name="page-commitment")
    app.router.add_get("/parties/{id}", pages.party, name="page-party")
    app.router.add_get("/ledger", pages.ledger, name="page-ledger")
    static = app.router.add_static("/static/", STATIC, name="static", append_version=True)
    # Versioned URLs (a hash of each file) computed once: url_for hashes the file on every call.
    app[ENV].globals["static"] = {
        path.name: str(static.url_for(filename=path.name)) for path in STATIC.iterdir()
    }
