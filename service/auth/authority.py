"""Authority as events in a party's stream: principal_added/_revoked and grant_changed.

These are appended by an administrator, so they are hashed into the ledger like every event and
anyone can check, from the log alone, who could speak for a party and how strongly, and when.

  principal_added    {name}               occurred_at = now (recorded)
  principal_revoked  {name}               occurred_at = now (recorded)
  grant_changed      {max_strength}       occurred_at = now (recorded)
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Final

from service.auth.principals import NAME_PATTERN, Principal
from service.auth.registry import PrincipalRow, Registry
from service.domain import events as ev
from service.domain.errors import AlreadyExists, EntityNotFound, StreamNotFound, ValidationFailed
from service.domain.events import STRENGTH_RANK, Strength
from service.log.records import NewEvent, RecordedEvent
from service.store.ports import EventStore

PRINCIPAL_ADDED: Final = "principal_added"
PRINCIPAL_REVOKED: Final = "principal_revoked"
GRANT_CHANGED: Final = "grant_changed"
AUTHORITY_EVENTS: Final = frozenset({PRINCIPAL_ADDED, PRINCIPAL_REVOKED, GRANT_CHANGED})
NAME = re.compile(NAME_PATTERN)


async def _party_exists(store: EventStore, party_id: str, field: str) -> None:
    try:
        first = await store.read_stream(ev.party_stream(party_id), 1, 1)
    except StreamNotFound:
        first = []
    if not first or first[0].type != ev.PARTY_REGISTERED:
        raise ValidationFailed(field, f"party {party_id!r} does not exist")


async def _append(
    store: EventStore, party_id: str, kind: str, data: dict[str, Any], metadata: dict[str, Any]
) -> RecordedEvent:
    event = NewEvent(kind, data, datetime.now(UTC), metadata=dict(metadata))
    result = await store.append(ev.party_stream(party_id), [event], "stream_exists")
    return result.events[0]


async def add_principal(
    store: EventStore,
    registry: Registry,
    principal: Principal,
    metadata: dict[str, Any],
) -> RecordedEvent | None:
    """Register the principal; a party's principal is also recorded in that party's stream."""
    if not NAME.match(principal.name):
        raise ValidationFailed("name", f"a principal's name must match {NAME_PATTERN}")
    if await registry.get(principal.name) is not None:
        raise AlreadyExists("principal", principal.name)
    event = None
    if principal.party is not None:
        await _party_exists(store, principal.party, "party")
        data = {"name": principal.name}
        event = await _append(store, principal.party, PRINCIPAL_ADDED, data, metadata)
    await registry.add(principal)
    return event


async def revoke_principal(
    store: EventStore, registry: Registry, name: str, metadata: dict[str, Any]
) -> PrincipalRow:
    """Revoke the principal and all its tokens; recorded in its party's stream."""
    row = await registry.get(name)
    if row is None:
        raise EntityNotFound("principal", name)
    await registry.revoke_principal(name)
    if row.principal.party is not None:
        await _append(store, row.principal.party, PRINCIPAL_REVOKED, {"name": name}, metadata)
    return row


async def change_grant(
    store: EventStore, party_id: str, max_strength: str, metadata: dict[str, Any]
) -> RecordedEvent:
    if max_strength not in STRENGTH_RANK:
        choices = ", ".join(STRENGTH_RANK)
        raise ValidationFailed("max_strength", f"max_strength must be one of {choices}")
    await _party_exists(store, party_id, "id")
    return await _append(store, party_id, GRANT_CHANGED, {"max_strength": max_strength}, metadata)


def grant_of(party_events: list[RecordedEvent]) -> Strength:
    """A party's grant now: its latest grant_changed, else claimed."""
    grant: Strength = "claimed"
    for event in party_events:
        if event.type == GRANT_CHANGED:
            grant = event.data["max_strength"]
    return grant
