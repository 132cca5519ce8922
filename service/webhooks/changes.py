"""What a subscriber is told: a commitment's announced status, how it changed, and the payload.

Pure: no I/O, no clock reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from service.log.records import format_time

STATUS_CHANGED = "commitment.status_changed"
Cause = Literal["event", "clock"]


@dataclass(frozen=True, slots=True)
class Announced:
    """A commitment's status as subscribers see it at one instant (verdict None: none yet)."""

    verdict: str | None
    disputed: bool
    schedule: str | None

    def json(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "disputed": self.disputed, "schedule": self.schedule}


NOTHING = Announced(None, False, None)


@dataclass(frozen=True, slots=True)
class Subject:
    """The commitment a change is about, with what the filters match on."""

    commitment_id: str
    promisor: str
    promisees: list[str]
    agreement: str | None


@dataclass(frozen=True, slots=True)
class Change:
    subject: Subject
    old: Announced
    new: Announced
    position: int  # the last event folded into the new status
    cause: Cause  # an event was written, or the clock passed a due date
    at: datetime  # when the new status holds from (the fold, or the switch instant)

    @property
    def kinds(self) -> list[str]:
        """Which filters it passes: "verdict" (verdict or disputed) and/or "schedule"."""
        kinds = []
        if (self.old.verdict, self.old.disputed) != (self.new.verdict, self.new.disputed):
            kinds.append("verdict")
        if self.old.schedule != self.new.schedule:
            kinds.append("schedule")
        return kinds


def scheduled(
    until: str | None, after: str | None, switch_at: datetime, at: datetime
) -> str | None:
    """The schedule a stored step shows at `at` (service/projections/rows.py ScheduleStep)."""
    return until if at <= switch_at else after


def payload(change: Change, message_id: str, created_at: datetime) -> str:
    """The body posted, in the Standard Webhooks shape {type, timestamp, data}."""
    s = change.subject
    body = {
        "type": STATUS_CHANGED,
        "timestamp": format_time(created_at),
        "data": {
            "id": message_id,
            "commitment_id": s.commitment_id,
            "promisor": s.promisor,
            "promisees": s.promisees,
            "agreement": s.agreement,
            "old": change.old.json(),
            "new": change.new.json(),
            "changed": change.kinds,
            "position": change.position,
            "cause": change.cause,
            "at": format_time(change.at),
        },
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)
