"""Administrators manage principals, their tokens and parties' grants over the API."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from service.api.auth import writer
from service.api.inputs import context, json_body
from service.api.keys import AUTH, STORE
from service.api.principal_schemas import ADD_PRINCIPAL, SET_GRANT
from service.api.table import Reply
from service.auth import authority
from service.auth.principals import Principal
from service.auth.rights import require_admin
from service.domain.commands import parse_body
from service.domain.errors import EntityNotFound, ValidationFailed


def _admin_metadata(request: web.Request, what: str) -> dict[str, Any]:
    require_admin(writer(request), what)
    return context(request).metadata


async def post_principal(request: web.Request) -> Reply:
    """{name, party} for a party's principal, {name, admin: true} for an administrator."""
    metadata = _admin_metadata(request, "add a principal")
    body = parse_body(ADD_PRINCIPAL, await json_body(request))
    principal = Principal(body.name, body.party, body.admin)
    auth = request.app[AUTH]
    event = await authority.add_principal(request.app[STORE], auth.registry, principal, metadata)
    answer: dict[str, Any] = {"name": body.name, "party": body.party, "admin": body.admin}
    if event is not None:
        answer |= {"event_id": str(event.event_id), "position": event.position}
    return Reply(answer, headers={"Location": f"/v1/principals/{body.name}"})


async def list_principals(request: web.Request) -> Reply:
    require_admin(writer(request), "list principals")
    rows = await request.app[AUTH].registry.list()
    return Reply({"principals": [r.to_json() for r in rows]})


async def delete_principal(request: web.Request) -> Reply:
    """Revoke a principal and every token it holds; effective in every process within a second."""
    metadata = _admin_metadata(request, "revoke a principal")
    auth = request.app[AUTH]
    name = request.match_info["name"]
    await authority.revoke_principal(request.app[STORE], auth.registry, name, metadata)
    await auth.changed()
    return Reply({"name": name, "revoked": True})


async def post_token(request: web.Request) -> Reply:
    """A new token for the principal; the secret is in this answer and nowhere else."""
    require_admin(writer(request), "issue tokens")
    auth = request.app[AUTH]
    token = await auth.registry.issue(request.match_info["name"])
    await auth.changed()
    return Reply({"principal": token.principal, "token_id": token.token_id, "token": token.secret})


async def delete_tokens(request: web.Request) -> Reply:
    """Revoke one token (/tokens/{token_id}) or all of a principal's tokens (/tokens)."""
    require_admin(writer(request), "revoke tokens")
    auth = request.app[AUTH]
    name, token_id = request.match_info["name"], request.match_info.get("token_id")
    count = await auth.registry.revoke_tokens(name, token_id)
    if token_id is not None and count == 0:
        raise EntityNotFound("token", token_id)
    await auth.changed()
    return Reply({"principal": name, "revoked": count})


async def put_grant(request: web.Request) -> Reply:
    """A party's grant: the highest strength its principals may state."""
    metadata = _admin_metadata(request, "change a party's grant")
    strength = parse_body(SET_GRANT, await json_body(request)).max_strength
    party = request.match_info["id"]
    try:
        event = await authority.change_grant(request.app[STORE], party, strength, metadata)
    except ValidationFailed as e:
        if e.field == "id":
            raise EntityNotFound("party", party) from None
        raise
    await request.app[AUTH].changed()
    body = {"party": party, "grant": strength, "event_id": str(event.event_id)}
    return Reply(body | {"position": event.position})
