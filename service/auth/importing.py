"""The authority sections of a scenario file: grants and principals, applied when they differ.

"grants":     [{"party": "un-monitoring-team", "max_strength": "verified"}, ...]
"principals": [{"name": "unmt-desk", "party": "un-monitoring-team"}, ...]   (no tokens)
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from service.auth import authority
from service.auth.principals import Principal
from service.auth.registry import Registry
from service.domain import events as ev
from service.domain.commands import Body, Slug
from service.domain.errors import StreamNotFound, ValidationFailed
from service.domain.events import Strength
from service.store.ports import EventStore

SECTIONS = frozenset({"grants", "principals"})


class SetGrant(Body):
    party: Slug
    max_strength: Strength


class AddPrincipal(Body):
    name: str
    party: Slug


GRANT: TypeAdapter[SetGrant] = TypeAdapter(SetGrant)
PRINCIPAL: TypeAdapter[AddPrincipal] = TypeAdapter(AddPrincipal)


async def apply(store: EventStore, registry: Registry, body: Any, metadata: dict[str, Any]) -> bool:
    """Make the ledger hold what the item says; whether anything was written."""
    if isinstance(body, SetGrant):
        try:
            events = await store.read_stream(ev.party_stream(body.party))
        except StreamNotFound:
            events = []
        if events and authority.grant_of(events) == body.max_strength:
            return False
        await authority.change_grant(store, body.party, body.max_strength, metadata)
    else:
        row = await registry.get(body.name)
        if row is not None:
            if row.principal.party != body.party:
                raise ValidationFailed("party", f"principal {body.name!r} acts for another party")
            return False
        principal = Principal(body.name, body.party)
        await authority.add_principal(store, registry, principal, metadata)
    await registry.notify()
    return True
