"""The party-stream events the projector's fold reads (rules v2, R5): dissolutions and the
corrections on party streams, kept in memory whole (they are few) up to the projector's position.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from service.domain import events as ev
from service.log.records import RecordedEvent
from service.store.ports import EventStore

PARTY_PREFIX = b'"party-'
PAGE = 1000


def party_of(event: RecordedEvent) -> str | None:
    """The party id if the event is one the fold reads on a party stream, else None. The stream
    id is found in the canonical bytes first (see streams.commitment_stream_of), so the events of
    other streams are not decoded."""
    canonical = event.canonical
    at = canonical.rfind(b',"stream_id":') + 13
    if at < 13 or not canonical.startswith(PARTY_PREFIX, at):
        return None
    if event.type not in ev.PARTY_FOLD_EVENTS:
        return None
    return event.stream_id.removeprefix("party-")


class PartyEvents:
    """Per party id, its dissolutions and corrections read so far, in log order."""

    def __init__(self) -> None:
        self._events: dict[str, list[RecordedEvent]] = {}
        self._position = 0

    @property
    def streams(self) -> Mapping[str, Sequence[RecordedEvent]]:
        return self._events

    def clear(self) -> None:
        self._events.clear()
        self._position = 0

    async def load(self, store: EventStore, upto: int) -> None:
        """Everything the fold reads on party streams at or before position `upto`."""
        self.clear()
        after = 0
        types = sorted(ev.PARTY_FOLD_EVENTS)
        while after < upto:
            page = await store.read_all(after, PAGE, types)
            self.add(e for e in page if e.position <= upto)
            if len(page) < PAGE or page[-1].position >= upto:
                break
            after = page[-1].position
        self._position = max(self._position, upto)

    def add(self, events: Iterable[RecordedEvent]) -> list[str]:
        """Take events read from the log in order (others are ignored); the parties touched."""
        touched: list[str] = []
        for event in events:
            if event.position <= self._position:
                continue  # seen before (a load that overlaps the first batch)
            party_id = party_of(event)
            if party_id is None:
                continue
            self._events.setdefault(party_id, []).append(event)
            self._position = event.position
            if party_id not in touched:
                touched.append(party_id)
        return touched
