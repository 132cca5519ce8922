"""The pages' URL table, kept apart from the JSON API's (and so from its OpenAPI document)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from service.web import pages
from service.web.render import ENV, environment

STATIC = Path(__file__).parent / "static"


def setup_pages(app: web.Application) -> None:
    app[ENV] = environment()
    app.router.add_get("/", pages.overview, name="page-overview")
    app.router.add_get("/commitments/{id}", pages.commitment, name="page-commitment")
    app.router.add_get("/parties/{id}", pages.party, name="page-party")
    app.router.add_get("/ledger", pages.ledger, name="page-ledger")
    app.router.add_static("/static/", STATIC, name="static", append_version=True)
