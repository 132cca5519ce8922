"""The in-process snapshot every request is authenticated against, kept fresh by notification.

A request never waits on the database: it hashes its token and looks it up in the snapshot.
The snapshot is reloaded whole on every NOTIFY pledger_auth (a revocation, an issue, a grant
change, from any process), and every `refresh` seconds in case a notification was lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from service.auth.authority import GRANT_CHANGED
from service.auth.principals import Principal, Snapshot
from service.auth.registry import CHANNEL, Registry
from service.domain.events import Strength
from service.store.notifier import Notifier
from service.store.ports import EventStore

log = logging.getLogger(__name__)
PAGE = 1000


class Authenticator:
    def __init__(
        self, registry: Registry, store: EventStore, dsn: str | None, refresh_seconds: float
    ) -> None:
        self.registry = registry
        self._store = store
        self.snapshot = Snapshot()
        self._grants: dict[str, Strength] = {}
        self._grants_after = 0
        self._notifier = Notifier(dsn, CHANNEL, poll_interval=refresh_seconds)
        self._task: asyncio.Task[None] | None = None

    @property
    def listening(self) -> asyncio.Event:
        return self._notifier.connected

    def lookup(self, secret: str) -> Principal | None:
        return self.snapshot.lookup(secret)

    def grant(self, party: str | None) -> Strength:
        return self.snapshot.grant(party)

    async def reload(self) -> None:
        tokens = await self.registry.live_tokens()
        # Grants only grow in the log, so each reload reads just the new grant_changed events.
        while events := await self._store.read_all(self._grants_after, PAGE, [GRANT_CHANGED]):
            for event in events:
                self._grants[event.stream_id.removeprefix("party-")] = event.data["max_strength"]
            self._grants_after = events[-1].position
        self.snapshot = Snapshot(tokens=tokens, grants=dict(self._grants))

    async def changed(self) -> None:
        """After a change made here: reload now, and tell every other process to."""
        await self.registry.notify()
        await self.reload()

    async def start(self) -> None:
        await self.reload()
        self._task = asyncio.create_task(self._follow(), name="pledger-auth-cache")

    async def _follow(self) -> None:
        while True:
            wake = self._notifier.waiter()
            await self._notifier.wait(wake)
            try:
                await self.reload()
            except Exception:  # noqa: BLE001 - keep the last snapshot; try again next wake
                log.exception("cannot reload principals and tokens")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._notifier.close()
