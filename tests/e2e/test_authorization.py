"""Every write route x {no token, revoked token, another party's principal, strength above the
grant, the right principal} -> {401, 401, 403, 403, 2xx}, through the real app and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from service.app import create_app
from tests.auth_support import admin_headers, bearer, principal_of
from tests.commitments_support import SOURCE, assessment, commitment_body, party, post, slug


@dataclass
class World:
    admin: Any  # a client whose every request carries an administrator's token
    plain: aiohttp.ClientSession  # a session with no default headers: each request says who
    admin_headers: dict[str, str]
    a: str  # promisor
    b: str  # promisee
    m: str  # a monitor, grant verified
    p: str  # the press, grant reported
    o: str  # another party, grant claimed (the default)
    as_: dict[str, dict[str, str]]  # party -> its principal's headers
    revoked: dict[str, str]  # an administrator's token, revoked


@pytest.fixture
async def world(aiohttp_client: Any, settings: Any, pg_store: Any) -> AsyncIterator[World]:
    headers = await admin_headers(settings.database_url)
    admin = await aiohttp_client(create_app(settings, store=pg_store), headers=headers)
    ids = [await party(admin, x) for x in "abmpo"]
    grants = dict(zip(ids, [None, None, "verified", "reported", None], strict=True))
    as_ = {x: await principal_of(admin, x, grant) for x, grant in grants.items()}
    name = slug("gone")
    await post(admin, "/v1/principals", {"name": name, "admin": True})
    token = await post(admin, f"/v1/principals/{name}/tokens", {})
    async with aiohttp.ClientSession() as plain:
        world = World(admin, plain, headers, *ids, as_, bearer(token["token"]))
        await request(world, "DELETE", f"/v1/principals/{name}/tokens", None, headers, 200)
        yield world


async def request(
    w: World, method: str, url: str, body: Any, headers: dict[str, str], status: int
) -> Any:
    """One request carrying exactly `headers` (no Authorization at all when they have none)."""
    data = None if body is None else json.dumps(body)
    async with w.plain.request(
        method,
        w.admin.make_url(url),
        data=data,
        headers={"Content-Type": "application/json", **headers},
    ) as response:
        payload = await response.json(content_type=None)
    assert response.status == status, (method, url, payload)
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    if status >= 400:
        assert response.content_type == "application/problem+json"
    return payload


@dataclass(frozen=True)
class Route:
    name: str
    setup: Callable[[World], Awaitable[tuple[str, str, Any]]]  # -> method, url, body
    right: Callable[[World], dict[str, str]]  # headers of the right writer
    other: Callable[[World], tuple[dict[str, str], Any] | None]  # headers, body override
    above: Callable[[World], tuple[dict[str, str], Any] | None] = lambda w: None
    status: int = 201
    forbidden: str = "forbidden"


async def _commitment(w: World) -> str:
    body = commitment_body(w.a, w.b)
    await post(w.admin, "/v1/commitments", body)
    return str(body["id"])


async def _assessment(w: World) -> tuple[str, str, Any]:
    cid = await _commitment(w)
    return "POST", f"/v1/commitments/{cid}/events", assessment(w.m, strength="verified")


async def _relief(w: World) -> tuple[str, str, Any]:
    cid = await _commitment(w)
    body = {"type": "deadline_changed", "due_by": "2022-01-01", "occurred_at": "2021-02-18"}
    return "POST", f"/v1/commitments/{cid}/events", body | {"source": SOURCE}


async def _correction(w: World) -> tuple[str, str, Any]:
    cid = await _commitment(w)
    url = f"/v1/commitments/{cid}/events"
    written = await request(w, "POST", url, assessment(w.m), w.as_[w.m], 201)
    body = {"type": "correction_recorded", "corrects": written["event_id"], "reason": "typo"}
    return "POST", url, body


async def _principal(w: World) -> str:
    name = slug("who")
    await post(w.admin, "/v1/principals", {"name": name, "party": w.o})
    return name


def _admin(w: World) -> dict[str, str]:
    return w.admin_headers


def _a(w: World) -> tuple[dict[str, str], Any]:
    return w.as_[w.a], None


async def _new_party(w: World) -> tuple[str, str, Any]:
    return "POST", "/v1/parties", {"id": slug("n"), "name": "New", "kind": "state"}


async def _agreement(w: World) -> tuple[str, str, Any]:
    return "POST", "/v1/agreements", {"id": slug("g"), "title": "Doha", "parties": [w.a, w.b]}


async def _add_principal(w: World) -> tuple[str, str, Any]:
    return "POST", "/v1/principals", {"name": slug("np"), "party": w.o}


async def _issue(w: World) -> tuple[str, str, Any]:
    return "POST", f"/v1/principals/{await _principal(w)}/tokens", {}


async def _revoke_tokens(w: World) -> tuple[str, str, Any]:
    return "DELETE", f"/v1/principals/{await _principal(w)}/tokens", None


async def _revoke_principal(w: World) -> tuple[str, str, Any]:
    return "DELETE", f"/v1/principals/{await _principal(w)}", None


async def _grant(w: World) -> tuple[str, str, Any]:
    return "PUT", f"/v1/parties/{w.o}/grant", {"max_strength": "reported"}


async def _make(w: World) -> tuple[str, str, Any]:
    return "POST", "/v1/commitments", commitment_body(w.a, w.b)


ROUTES = [
    Route("register party", _new_party, _admin, _a),
    Route("record agreement", _agreement, _admin, _a),
    Route("add principal", _add_principal, _admin, _a),
    Route("issue token", _issue, _admin, _a),
    Route("revoke tokens", _revoke_tokens, _admin, _a, status=200),
    Route("revoke principal", _revoke_principal, _admin, _a, status=200),
    Route("set grant", _grant, _admin, _a, status=200),
    Route("make commitment", _make, lambda w: w.as_[w.a], lambda w: (w.as_[w.b], None), status=201),
    Route(
        "record assessment",
        _assessment,
        lambda w: w.as_[w.m],
        lambda w: (w.as_[w.o], None),
        lambda w: (w.as_[w.p], assessment(w.p, strength="verified")),
        forbidden="assessor-mismatch",
    ),
    Route(
        "third party relief",
        _relief,
        lambda w: w.as_[w.p],
        lambda w: (w.as_[w.o], None),
        forbidden="strength-not-granted",
    ),
    Route("correct", _correction, lambda w: w.as_[w.m], lambda w: (w.as_[w.p], None)),
]


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
async def test_every_write_route_checks_who_writes(world: World, route: Route) -> None:
    method, url, body = await route.setup(world)
    await request(world, method, url, body, {}, 401)
    await request(world, method, url, body, world.revoked, 401)
    other = route.other(world)
    assert other is not None
    denied = await request(world, method, url, other[1] or body, other[0], 403)
    assert denied["type"].endswith("/" + route.forbidden) and denied["right"]
    above = route.above(world)
    if above is not None:
        denied = await request(world, method, url, above[1], above[0], 403)
        assert denied["type"].endswith("/strength-not-granted")
    await request(world, method, url, body, route.right(world), route.status)
