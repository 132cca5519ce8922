"""Who may write what (docs/security.md, "Authorization"): pure checks on the writer and stream.

Every function raises a Forbidden naming the missing right, or returns. Administrators may
write everything; a party's principal acts only within its party's roles and grant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from service.auth.principals import Principal, at_least
from service.domain import events as ev
from service.domain.errors import (
    AssessorMismatch,
    Forbidden,
    NotAPromisee,
    StrengthNotGranted,
)
from service.domain.events import Strength
from service.log.records import RecordedEvent

# Events that postpone or end the promisor's duty (rules v2 section 0), and those that settle
# a condition otherwise: both need a grant of at least `reported` from a third party.
RELIEF = frozenset({ev.DEADLINE_CHANGED, ev.SUPERSEDED, ev.WITHDRAWN, ev.CONDITION_FAILED})
SETTLING = frozenset({ev.CONDITION_MET, ev.CONDITION_WAIVED})
THIRD_PARTY_GRANT: Strength = "reported"
DISSOLUTION_GRANT: Strength = "verified"
CHANGE_AGREED = "change_agreed"
PARTY_DISSOLVED = "party_dissolved"


@dataclass(frozen=True, slots=True)
class Writer:
    """The authenticated principal of a request, with its party's grant at that moment."""

    principal: Principal
    grant: Strength

    @property
    def party(self) -> str | None:
        return self.principal.party

    @property
    def admin(self) -> bool:
        return self.principal.admin

    def metadata(self) -> dict[str, Any]:
        """What the server stamps on every event this writer appends."""
        return {"recorded_by": self.party, "principal": self.principal.name}


def require_admin(writer: Writer, what: str) -> None:
    if not writer.admin:
        raise Forbidden("administrator", f"only an administrator may {what}")


def may_make_commitment(writer: Writer, promisor: str) -> None:
    if writer.admin or writer.party == promisor:
        return
    raise Forbidden(
        "promisor",
        f"a commitment of {promisor!r} is recorded by its principal or an administrator;"
        f" you act for {writer.party!r}",
    )


def may_record(writer: Writer, body: Any, stream: Sequence[RecordedEvent]) -> None:
    """Evidence or a change on a commitment stream (stream[0] is its commitment_made)."""
    if writer.admin:
        return
    kind = body.type
    made = stream[0].data if stream else {}
    promisor, promisees = made.get("promisor"), made.get("promisees", [])
    if kind == ev.ASSESSMENT_RECORDED:
        _may_assess(writer, body)
    elif kind == ev.CORRECTION_RECORDED:
        may_correct(writer, stream, body.corrects)
    elif kind == CHANGE_AGREED:
        if writer.party not in promisees:
            raise NotAPromisee(
                "promisee", f"only a promisee may agree to a change; {writer.party!r} is not one"
            )
    elif kind in RELIEF | SETTLING:
        if writer.party == promisor or writer.party in promisees:
            return  # the rules fold decides what a party's own relief is worth (a request)
        if not at_least(writer.grant, THIRD_PARTY_GRANT):
            raise StrengthNotGranted(
                "grant:reported",
                f"{kind} by a party not bound by the commitment needs a grant of at least"
                f" {THIRD_PARTY_GRANT!r}; {writer.party!r} holds {writer.grant!r}",
            )


def _may_assess(writer: Writer, body: Any) -> None:
    if body.assessor != writer.party:
        raise AssessorMismatch(
            "assessor",
            f"you act for {writer.party!r}, so the assessor must be {writer.party!r},"
            f" not {body.assessor!r}",
        )
    if not at_least(writer.grant, body.strength):
        raise StrengthNotGranted(
            f"grant:{body.strength}",
            f"{writer.party!r} holds a grant of {writer.grant!r}, which does not cover"
            f" strength {body.strength!r}",
        )


def may_correct(writer: Writer, stream: Sequence[RecordedEvent], corrects: str) -> None:
    """A correction only of an event the writer's party recorded (or by an administrator)."""
    if writer.admin:
        return
    target = next((e for e in stream if str(e.event_id) == corrects), None)
    if target is None:
        return  # the decider names the missing event (422)
    if target.metadata.get("recorded_by") != writer.party:
        raise Forbidden(
            "recorder",
            f"only the party that recorded event {corrects} (or an administrator) may correct it",
        )


def may_write_party_event(writer: Writer, party_id: str, kind: str) -> None:
    """Events on a party's own stream: a dissolution, or a correction of one."""
    if writer.admin:
        return
    if kind == PARTY_DISSOLVED:
        if writer.party == party_id:
            raise Forbidden("third-party", "a party cannot record its own dissolution")
        if not at_least(writer.grant, DISSOLUTION_GRANT):
            raise StrengthNotGranted(
                "grant:verified",
                f"a dissolution needs a grant of 'verified'; {writer.party!r} holds"
                f" {writer.grant!r}",
            )
        return
    if kind != ev.CORRECTION_RECORDED:
        require_admin(writer, f"record {kind} on a party's stream")
