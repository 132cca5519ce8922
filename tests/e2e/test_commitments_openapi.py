"""The OpenAPI document names every commitments route and method, and every $ref resolves."""

from __future__ import annotations

import json
from typing import Any

from service.app import create_app
from service.store.memory import MemoryStore


async def test_every_commitments_route_is_documented(aiohttp_client: Any, settings: Any) -> None:
    app = create_app(settings, store=MemoryStore())
    client = await aiohttp_client(app)
    doc = await (await client.get("/v1/openapi.json")).json()
    routes = {
        (r.resource.canonical, r.method.lower())
        for r in app.router.routes()
        if r.resource is not None
        and r.method != "HEAD"
        and r.resource.canonical.startswith(("/v1/parties", "/v1/agreements", "/v1/commitments"))
    }
    assert len(routes) == 14
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert routes <= documented
    text = json.dumps(doc)
    refs = {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}
    assert refs and refs <= set(doc["components"]["schemas"])
    evidence = doc["components"]["schemas"]["Evidence"]
    assert set(evidence["discriminator"]["mapping"]) >= {"assessment_recorded", "withdrawn"}
