"""Parties and agreements: create one (POST), read one, list them in log order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import TypeAdapter

from service.api.inputs import context, json_body, query_times, written_headers
from service.api.keys import STORE
from service.api.params import EntityPage, StatusParams
from service.api.table import Reply, page_size, params
from service.auth.authority import grant_of
from service.commitments import writes
from service.commitments.parties import record_party_event
from service.commitments.queries import created, first_event, is_creation, read_stream
from service.domain import events as ev
from service.domain.commands import parse_body
from service.domain.errors import EntityNotFound
from service.domain.evidence import AGREEMENT, PARTY, PARTY_EVENT
from service.domain.fold import ceased_at
from service.log.records import RecordedEvent, format_time
from service.store.ports import EventStore


@dataclass(frozen=True)
class Kind:
    name: str  # "party"
    plural: str  # "parties"
    event_type: str
    stream: Callable[[str], str]
    adapter: TypeAdapter[Any]
    handler: Callable[[EventStore, Any, writes.Context], Awaitable[writes.Written]]


PARTIES = Kind(
    "party", "parties", ev.PARTY_REGISTERED, ev.party_stream, PARTY, writes.register_party
)
AGREEMENTS = Kind(
    "agreement",
    "agreements",
    ev.AGREEMENT_RECORDED,
    ev.agreement_stream,
    AGREEMENT,
    writes.record_agreement,
)


def entity_json(event: RecordedEvent) -> dict[str, Any]:
    """The entity as created, with where and when the ledger recorded it."""
    return {
        **event.data,
        "event_id": str(event.event_id),
        "position": event.position,
        "recorded_at": format_time(event.recorded_at),
    }


async def create(request: web.Request, kind: Kind) -> Reply:
    body = parse_body(kind.adapter, await json_body(request))
    written = await kind.handler(request.app[STORE], body, context(request))
    location = f"/v1/{kind.plural}/{body.id}"
    headers = written_headers(location, written.event.version, written.replayed)
    return Reply({**written.to_json(), "id": body.id}, headers=headers)


async def read_one(request: web.Request, kind: Kind) -> Reply:
    entity_id = request.match_info["id"]
    event = await first_event(request.app[STORE], kind.stream(entity_id))
    if event is None or event.type != kind.event_type:
        raise EntityNotFound(kind.name, entity_id)
    return Reply(entity_json(event))


async def read_list(request: web.Request, kind: Kind) -> Reply:
    """A page in the order they were recorded; `next` is the cursor (a position) for ?after=."""
    query = params(request, EntityPage)
    after, limit = query.after, page_size(request, query.limit)
    events = await created(request.app[STORE], kind.event_type, after, limit + 1)
    page = [e for e in events[:limit] if is_creation(e)]
    next_after = events[limit - 1].position if len(events) > limit else None
    headers = {}
    if next_after is not None:
        url = request.rel_url.update_query(after=next_after, limit=limit)
        headers["Link"] = f'<{url}>; rel="next"'
    return Reply({kind.plural: [entity_json(e) for e in page], "next": next_after}, headers=headers)


async def post_party(request: web.Request) -> Reply:
    return await create(request, PARTIES)


async def get_party(request: web.Request) -> Reply:
    """The party as registered, with its grant (the highest strength it may state) and when it
    ceased (rules v2, R5) at (as_of, known_at)."""
    query = params(request, StatusParams)
    at = query_times(query.as_of, query.known_at)
    party_id = request.match_info["id"]
    events = await read_stream(request.app[STORE], ev.party_stream(party_id))
    if not events or events[0].type != ev.PARTY_REGISTERED:
        raise EntityNotFound("party", party_id)
    ended = ceased_at(party_id, events, at.as_of, at.known_at)
    return Reply(
        entity_json(events[0])
        | {"grant": grant_of(events), "ceased_at": None if ended is None else format_time(ended)}
    )


async def post_party_event(request: web.Request) -> Reply:
    """A party's dissolution, or a correction of one, on the party's own stream."""
    party_id = request.match_info["id"]
    body = parse_body(PARTY_EVENT, await json_body(request))
    written = await record_party_event(request.app[STORE], party_id, body, context(request))
    headers = written_headers(f"/v1/parties/{party_id}", written.event.version, written.replayed)
    return Reply({**written.to_json(), "party": party_id}, headers=headers)


async def list_parties(request: web.Request) -> Reply:
    return await read_list(request, PARTIES)


async def post_agreement(request: web.Request) -> Reply:
    return await create(request, AGREEMENTS)


async def get_agreement(request: web.Request) -> Reply:
    return await read_one(request, AGREEMENTS)


async def list_agreements(request: web.Request) -> Reply:
    return await read_list(request, AGREEMENTS)
