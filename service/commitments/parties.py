"""The write use case of a party's own stream under rules v2: recording its dissolution, or
correcting one (R5)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from service.auth import rights
from service.commitments.writes import Context, Written, _write
from service.domain import decide
from service.domain import events as ev
from service.domain.evidence import PartyEvent
from service.log.records import NewEvent, RecordedEvent
from service.store.ports import EventStore


async def record_party_event(
    store: EventStore, party_id: str, body: PartyEvent, ctx: Context
) -> Written:
    """party_dissolved (409 when an uncorrected one is there) or a correction on the party's
    stream; 404 when the party was never registered; 403 unless the writer may (a dissolution:
    an administrator, or another party with a `verified` grant; service/auth/rights.py)."""
    if ctx.writer is not None:
        rights.may_write_party_event(ctx.writer, party_id, body.type)
    stream_id = ev.party_stream(party_id)

    def decider(stream: list[RecordedEvent], envelope: dict[str, Any]) -> NewEvent:
        now = datetime.now(UTC)
        return decide.record_party_event(party_id, stream, body, now=now, **envelope)

    return await _write(store, stream_id, body, decider, ctx)
