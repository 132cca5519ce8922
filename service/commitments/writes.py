"""Write use cases: load the stream, check what the body names, decide, append at that version.

Every write is one event. Its id is random, or derived from the caller's Idempotency-Key (uuid5
over the key and the target stream), so a retry finds its own event in the stream and answers
with the original result, appending nothing; the same key with another body is refused (409).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from service.auth import rights
from service.auth.rights import Writer
from service.domain import decide
from service.domain import events as ev
from service.domain.commands import MakeCommitment, RecordAgreement, RegisterParty
from service.domain.errors import (
    ConcurrencyConflict,
    DomainError,
    DuplicateEventId,
    IdempotencyKeyReused,
    PreconditionFailed,
    StreamNotFound,
)
from service.domain.evidence import AgreeChange, Evidence, RecordCorrection
from service.log.records import NewEvent, RecordedEvent, canonical_json
from service.store.cached import first_events
from service.store.errors import translate_db_errors
from service.store.ports import EventStore

# Fixed forever: changing it would turn every stored retry into a new event.
IDEMPOTENCY_NAMESPACE = uuid.UUID("0b6f4f1e-6a53-5d55-9a3c-5f1f2d6c8e21")
# Without If-Match a write that lost a race is decided again on the new stream, up to this many
# times: each round one of the racing writers wins, so this bounds the writers one stream serves.
RACE_RETRIES = 25
# Events whose occurred_at is the time of the request: a retry cannot repeat it exactly.
TIMED_BY_REQUEST = frozenset({ev.PARTY_REGISTERED, ev.AGREEMENT_RECORDED, ev.CORRECTION_RECORDED})


@dataclass(frozen=True, slots=True)
class Context:
    """What a write knows besides its body: its Idempotency-Key, the event metadata, and the
    authenticated writer whose rights it is checked against (None: an operator with database
    access, such as `pledger import`, which is not checked)."""

    idempotency_key: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    writer: Writer | None = None

    def event_id(self, stream_id: str) -> uuid.UUID:
        if self.idempotency_key is None:
            return uuid.uuid4()
        # Keys are scoped to the principal: another writer's key can never replay this one's.
        scope = "" if self.writer is None else f"{self.writer.principal.name}\n"
        return uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{scope}{stream_id}\n{self.idempotency_key}")

    def authorize(self, command: decide.Command, stream: list[RecordedEvent]) -> None:
        """403 unless the writer may append this command to this stream (service/auth/rights)."""
        if self.writer is None:
            return
        if isinstance(command, RegisterParty):
            rights.require_admin(self.writer, "register a party")
        elif isinstance(command, RecordAgreement):
            rights.require_admin(self.writer, "record an agreement")
        elif isinstance(command, MakeCommitment):
            rights.may_make_commitment(self.writer, command.promisor)
        elif stream:  # evidence on a commitment that exists (else the decider answers 404)
            rights.may_record(self.writer, command, stream)

    def envelope(self, stream_id: str) -> dict[str, Any]:
        metadata = dict(self.metadata)
        if self.idempotency_key is not None:
            metadata["idempotency_key"] = self.idempotency_key
        return {"event_id": self.event_id(stream_id), "metadata": metadata}


@dataclass(frozen=True, slots=True)
class Written:
    """Where a write landed; `replayed` when it was a retry that appended nothing."""

    event: RecordedEvent
    replayed: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "event_id": str(self.event.event_id),
            "stream_id": self.event.stream_id,
            "type": self.event.type,
            "version": self.event.version,
            "position": self.event.position,
        }


Decide = Callable[[list[RecordedEvent], dict[str, Any]], NewEvent]


def _now() -> datetime:
    return datetime.now(UTC)


async def _stream(store: EventStore, stream_id: str) -> list[RecordedEvent]:
    try:
        return await store.read_stream(stream_id)
    except StreamNotFound:
        return []


def _replay(stream: Sequence[RecordedEvent], decider: Decide, ctx: Context) -> Written | None:
    """The original write when this is a retry with the same key; refuse another body (409).

    The would-be event is decided again on the stream as it was before the original, so a
    retry is recognised even when later events (a correction, a closing) would now refuse it.
    """
    if ctx.idempotency_key is None or not stream:
        return None
    stream_id = stream[0].stream_id
    event_id = ctx.event_id(stream_id)
    old = next((e for e in stream if e.event_id == event_id), None)
    if old is None:
        return None
    reused = IdempotencyKeyReused(ctx.idempotency_key, stream_id, str(old.event_id))
    try:
        new = decider(list(stream[: old.version - 1]), ctx.envelope(stream_id))
    except DomainError:
        raise reused from None
    same = (
        old.type == new.type
        and canonical_json(old.data) == canonical_json(new.data)
        and (new.type in TIMED_BY_REQUEST or old.occurred_at == new.occurred_at)
    )
    if not same:
        raise reused
    return Written(old, replayed=True)


async def check_references(store: EventStore, command: decide.Command) -> None:
    """Rule 8: every party, agreement or commitment the body names must exist (422 naming it)."""
    cache = first_events(store)
    refs = [r for r in decide.references(command) if not cache.known(r.stream_id)]
    if not refs:
        return  # the usual case once warm: no round trip, no task
    with translate_db_errors():
        found = await asyncio.gather(*(cache.get(r.stream_id) for r in refs))
    for ref, first in zip(refs, found, strict=True):
        if first is None:
            raise ref.missing()


async def _write(
    store: EventStore,
    stream_id: str,
    command: decide.Command,
    decider: Decide,
    ctx: Context,
    *,
    if_match: int | None = None,
) -> Written:
    """Read, replay or decide, check references, append at the version read.

    With If-Match a version mismatch is PreconditionFailed (412), never retried. Without it a
    write that lost a race is decided again on the new stream: a creation then meets its rival
    and answers AlreadyExists (409), evidence is appended after the rival's event.
    """
    for attempt in range(RACE_RETRIES):
        stream = await _stream(store, stream_id)
        version = stream[-1].version if stream else 0
        replayed = _replay(stream, decider, ctx)
        if replayed is not None:
            return replayed
        if if_match is not None and if_match != version:
            raise PreconditionFailed(stream_id, if_match, version)
        ctx.authorize(command, stream)
        new = decider(stream, ctx.envelope(stream_id))
        await check_references(store, command)
        try:
            result = await store.append(stream_id, [new], version)
        except ConcurrencyConflict as error:
            if if_match is not None:
                raise PreconditionFailed(stream_id, if_match, error.actual) from error
            if attempt == RACE_RETRIES - 1:
                raise
            continue  # another writer got in first: decide again on what it wrote
        except DuplicateEventId:
            if if_match is not None or attempt == RACE_RETRIES - 1:
                raise
            continue  # another writer got in first: decide again on what it wrote
        return Written(result.events[0], replayed=result.replayed)
    raise AssertionError("unreachable")  # pragma: no cover


async def register_party(store: EventStore, body: RegisterParty, ctx: Context) -> Written:
    stream_id = ev.party_stream(body.id)

    def decider(stream: list[RecordedEvent], envelope: dict[str, Any]) -> NewEvent:
        return decide.register_party(stream, body, now=_now(), **envelope)

    return await _write(store, stream_id, body, decider, ctx)


async def record_agreement(store: EventStore, body: RecordAgreement, ctx: Context) -> Written:
    stream_id = ev.agreement_stream(body.id)

    def decider(stream: list[RecordedEvent], envelope: dict[str, Any]) -> NewEvent:
        return decide.record_agreement(stream, body, now=_now(), **envelope)

    return await _write(store, stream_id, body, decider, ctx)


async def make_commitment(store: EventStore, body: MakeCommitment, ctx: Context) -> Written:
    stream_id = ev.commitment_stream(body.id)

    def decider(stream: list[RecordedEvent], envelope: dict[str, Any]) -> NewEvent:
        return decide.make_commitment(stream, body, **envelope)

    return await _write(store, stream_id, body, decider, ctx)


async def record_evidence(
    store: EventStore,
    commitment_id: str,
    body: Evidence,
    ctx: Context,
    *,
    if_match: int | None = None,
) -> Written:
    """Evidence or a change for one commitment; `if_match` is the stream version the caller saw."""
    stream_id = ev.commitment_stream(commitment_id)

    def decider(stream: list[RecordedEvent], envelope: dict[str, Any]) -> NewEvent:
        return decide.record_evidence(commitment_id, stream, body, now=_now(), **envelope)

    # Corrections and agreements are checked against the whole stream, not its first event.
    if if_match is None and not isinstance(body, RecordCorrection | AgreeChange):
        written = await _write_on_creation(store, stream_id, body, decider, ctx)
        if written is not None:
            return written
    return await _write(store, stream_id, body, decider, ctx, if_match=if_match)


async def _write_on_creation(
    store: EventStore, stream_id: str, command: decide.Command, decider: Decide, ctx: Context
) -> Written | None:
    """The fast path of dated evidence, whose every check reads only commitment_made (the
    stream's first event, which never changes): decide on that event alone and append after
    whatever the stream holds by then, so concurrent writers to one commitment never clash.
    A retry with the same key is replayed by the store itself (identical content); None when
    the key's event holds another body, for the full path to tell apart and refuse."""
    made = await first_events(store).get(stream_id)
    ctx.authorize(command, [] if made is None else [made])
    new = decider([] if made is None else [made], ctx.envelope(stream_id))  # 404 comes first
    await check_references(store, command)
    try:
        result = await store.append(stream_id, [new], "stream_exists")
    except DuplicateEventId:
        return None
    return Written(result.events[0], replayed=result.replayed)
