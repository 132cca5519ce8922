"""The route table's contract: every registered route is documented (and only those), every
$ref resolves, and the parameters are enforced as documented (unknown ones and int64 overflow
are 400 problems naming the parameter, never a 500)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from service.app import create_app
from service.store.memory import MemoryStore
from tests.auth_support import admin_headers

SAMPLE_PATH = {
    "id": "nobody",
    "stream_id": "nothing",
    "position": "1",
    "name": "nobody",
    "token_id": "0123456789abcdef",
}


@pytest.fixture
async def app_and_doc(aiohttp_client: Any, settings: Any, pg_store: Any) -> Any:
    app = create_app(settings, store=pg_store)
    # As an administrator, so that writes reach their parameter checks (401 comes first).
    client = await aiohttp_client(app, headers=await admin_headers(settings.database_url))
    doc = await (await client.get("/v1/openapi.json")).json()
    return app, client, doc


def _registered(app: Any) -> set[tuple[str, str]]:
    """The JSON API's routes in the router: /v1 and the health checks (the HTML pages of
    service/web have their own table and are not part of the API's document)."""
    return {
        (r.resource.canonical, r.method.lower())
        for r in app.router.routes()
        if r.resource is not None
        and r.method != "HEAD"
        and r.resource.canonical.startswith(("/v1/", "/healthz", "/readyz"))
    }


def _url(path: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: SAMPLE_PATH[m.group(1)], path)


async def test_every_registered_route_is_documented_and_nothing_else(app_and_doc: Any) -> None:
    app, _, doc = app_and_doc
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    registered = _registered(app)
    assert registered == documented and len(registered) >= 24
    operations = [op for ops in doc["paths"].values() for op in ops.values()]
    ids = [op["operationId"] for op in operations]
    assert len(set(ids)) == len(ids) == len(registered)
    for op in operations:
        assert op["tags"] and op["summary"], op["operationId"]
        assert any(s.startswith("2") for s in op["responses"]), op["operationId"]
        assert "400" in op["responses"], op["operationId"]
        for answer in op["responses"].values():
            assert "X-Request-Id" in answer["headers"]
        if "requestBody" in op:
            assert op["requestBody"]["content"]["application/json"]["example"]


async def test_every_schema_reference_resolves(app_and_doc: Any) -> None:
    _, _, doc = app_and_doc
    text = json.dumps(doc)
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', text))
    assert refs and refs <= set(doc["components"]["schemas"])
    evidence = doc["components"]["schemas"]["Evidence"]
    assert set(evidence["discriminator"]["mapping"]) >= {"assessment_recorded", "withdrawn"}


async def test_an_unknown_query_parameter_is_a_400_naming_it_on_every_route(
    app_and_doc: Any,
) -> None:
    app, client, _ = app_and_doc
    for path, method in sorted(_registered(app)):
        response = await client.request(method, _url(path) + "?bogus=1")
        problem = await response.json()
        assert response.status == 400, (method, path)
        assert response.content_type == "application/problem+json"
        assert problem["parameter"] == "bogus" and "bogus" in problem["detail"]


async def test_every_integer_parameter_past_its_bound_is_a_400_naming_it(
    app_and_doc: Any,
) -> None:
    """Cursors and positions are bigints in PostgreSQL: 2**63 once answered 500."""
    _, client, doc = app_and_doc
    checked = 0
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            for parameter in op["parameters"]:
                schema = parameter["schema"]
                if schema.get("type") != "integer" or "maximum" not in schema:
                    continue
                name, value = parameter["name"], schema["maximum"] + 1
                url = _url(path)
                if parameter["in"] == "path":
                    url = path.replace("{" + name + "}", str(value))
                    url = _url(url)
                else:
                    url += f"?{name}={value}"
                    if name != "first" and "first" in {p["name"] for p in op["parameters"]}:
                        url += "&first=1"
                response = await client.request(method, url)
                assert response.status == 400, (method, url, await response.text())
                assert (await response.json())["parameter"] == name
                checked += 1
    assert checked >= 15


@pytest.mark.parametrize("path", ["/v1/parties", "/v1/agreements", "/v1/events"])
async def test_a_cursor_past_int64_is_a_400_not_a_500(app_and_doc: Any, path: str) -> None:
    _, client, _ = app_and_doc
    response = await client.get(f"{path}?after=9223372036854775808")
    assert response.status == 400
    assert (await response.json())["parameter"] == "after"


async def test_an_empty_integer_or_choice_is_refused_as_the_document_says(
    app_and_doc: Any,
) -> None:
    _, client, _ = app_and_doc
    for url, name in (("/v1/events?limit=", "limit"), ("/v1/streams/s?direction=", "direction")):
        response = await client.get(url)
        assert response.status == 400 and (await response.json())["parameter"] == name


async def test_the_memory_app_serves_the_same_document(
    aiohttp_client: Any, settings: Any, app_and_doc: Any
) -> None:
    client = await aiohttp_client(create_app(settings, store=MemoryStore()))
    memory_doc = await (await client.get("/v1/openapi.json")).json()
    assert memory_doc == app_and_doc[2]
