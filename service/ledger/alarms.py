"""Ledger alarms (a fork, a refused signing, an overdue checkpoint): shown by /readyz and
logged at CRITICAL again every interval while they last, so that nobody can miss one line."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from aiohttp import web

log = logging.getLogger("pledger.ledger.alarms")


class LedgerAlarms:
    """The alarms now raised, by name, each with what it is about and since when."""

    def __init__(self) -> None:
        self.active: dict[str, tuple[str, datetime]] = {}

    def set(self, name: str, detail: str) -> None:
        if name not in self.active:
            log.critical("ledger alarm %s: %s", name, detail)
            self.active[name] = (detail, datetime.now(UTC))
        else:
            self.active[name] = (detail, self.active[name][1])

    def clear(self, name: str) -> None:
        if self.active.pop(name, None) is not None:
            log.warning("ledger alarm %s cleared", name)

    def to_json(self) -> list[dict[str, str]]:
        return [
            {"alarm": name, "detail": detail, "since": since.isoformat().replace("+00:00", "Z")}
            for name, (detail, since) in sorted(self.active.items())
        ]

    async def repeat(self, every_seconds: float) -> None:
        """Forever: log every alarm still raised at CRITICAL, once per interval."""
        while True:
            await asyncio.sleep(every_seconds)
            for name, (detail, since) in list(self.active.items()):
                log.critical("ledger alarm %s (since %s): %s", name, since.isoformat(), detail)


ALARMS = web.AppKey("ledger_alarms", LedgerAlarms)
ALARM_NAMES = ("fork", "signing_refused", "checkpoint_overdue")
