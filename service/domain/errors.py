"""Every error Pledger raises on purpose; the API maps each class to one problem+json type.

DomainError
├── NotFound                    404  (StreamNotFound, EntityNotFound)
├── ValidationFailed            422  a field that names the wrong thing or breaks a rule
├── InvalidParameter            400  a query parameter or body that cannot be parsed
├── AlreadyExists               409  an id that is taken
│   ├── AlreadyAgreed           409  a promisee agrees twice to one relief event
│   └── AlreadyDissolved        409  a party dissolved twice
├── ConcurrencyConflict         409  expected version did not match
│   └── PreconditionFailed      412  ... the version the caller named in If-Match
├── DuplicateEventId            409  an event id reused with different content
│   └── IdempotencyKeyReused    409  an Idempotency-Key reused with a different body
├── Unauthenticated             401  no valid bearer token
├── Forbidden                   403  the writer lacks the right named in `right`
│   ├── AssessorMismatch             an assessment whose assessor is not the writer's party
│   ├── StrengthNotGranted           a strength above the writer party's grant
│   └── NotAPromisee                 an agreement to a change by someone not owed the commitment
└── Unavailable                 503  the database cannot be reached
    └── ProjectorBehind         503  the read side did not reach min_position in time
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class: `fields` holds the structured facts a problem document reports."""

    title = "Error"

    def __init__(self, detail: str, **fields: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fields = fields


class NotFound(DomainError):
    title = "Not found"


class StreamNotFound(NotFound):
    title = "Stream not found"

    def __init__(self, stream_id: str) -> None:
        super().__init__(f"stream {stream_id!r} does not exist", stream_id=stream_id)
        self.stream_id = stream_id


class EntityNotFound(NotFound):
    title = "Not found"

    def __init__(self, kind: str, entity_id: str, detail: str | None = None) -> None:
        super().__init__(detail or f"{kind} {entity_id!r} does not exist", kind=kind, id=entity_id)


class ValidationFailed(DomainError):
    title = "Validation failed"

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail, field=field)
        self.field = field


class InvalidParameter(DomainError):
    title = "Invalid parameter"

    def __init__(self, parameter: str, detail: str) -> None:
        super().__init__(detail, parameter=parameter)
        self.parameter = parameter


class AlreadyExists(DomainError):
    title = "Already exists"

    def __init__(self, kind: str, entity_id: str) -> None:
        super().__init__(f"{kind} {entity_id!r} already exists", kind=kind, id=entity_id)


class AlreadyAgreed(AlreadyExists):
    title = "Already agreed"

    def __init__(self, promisee: str, event_id: str) -> None:
        DomainError.__init__(
            self,
            f"{promisee!r} has already agreed to event {event_id}",
            promisee=promisee,
            agrees=event_id,
        )


class AlreadyDissolved(AlreadyExists):
    title = "Already dissolved"

    def __init__(self, party_id: str) -> None:
        DomainError.__init__(self, f"party {party_id!r} is already dissolved", id=party_id)


class ConcurrencyConflict(DomainError):
    title = "Version conflict"

    def __init__(self, stream_id: str, expected: int | str, actual: int) -> None:
        super().__init__(
            f"stream {stream_id!r}: expected version {expected}, actual version {actual}",
            stream_id=stream_id,
            expected_version=expected,
            actual_version=actual,
        )
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class PreconditionFailed(ConcurrencyConflict):
    """The stream moved past the version the caller named in If-Match."""

    title = "Precondition failed"


class DuplicateEventId(DomainError):
    title = "Event id reused"

    def __init__(self, event_id: str, stream_id: str) -> None:
        super().__init__(
            f"event id {event_id} is already stored in stream {stream_id!r} with different content",
            event_id=event_id,
            stream_id=stream_id,
        )


class IdempotencyKeyReused(DuplicateEventId):
    """The Idempotency-Key was used before, on this target, with a different body."""

    title = "Idempotency key reused"

    def __init__(self, key: str, stream_id: str, event_id: str) -> None:
        detail = (
            f"Idempotency-Key {key!r} was already used for {stream_id!r} with a different body;"
            " use a new key for a new request"
        )
        DomainError.__init__(
            self, detail, idempotency_key=key, stream_id=stream_id, event_id=event_id
        )


class Unauthenticated(DomainError):
    title = "Unauthenticated"

    def __init__(self, detail: str = "this request needs a valid bearer token") -> None:
        super().__init__(detail)


class Forbidden(DomainError):
    """The writer is authenticated but lacks a right; `right` names it for the caller."""

    title = "Forbidden"
    problem_type = "forbidden"

    def __init__(self, right: str, detail: str) -> None:
        super().__init__(detail, right=right)
        self.right = right


class AssessorMismatch(Forbidden):
    problem_type = "assessor-mismatch"


class StrengthNotGranted(Forbidden):
    problem_type = "strength-not-granted"


class NotAPromisee(Forbidden):
    problem_type = "not-a-promisee"


class Unavailable(DomainError):
    title = "Service unavailable"


class ProjectorBehind(Unavailable):
    """The read side has not reached min_position within the wait (503, Retry-After)."""

    title = "Read model behind"

    def __init__(self, wanted: int, reached: int, waited: float) -> None:
        super().__init__(
            f"the read tables reached position {reached}, not {wanted}, within {waited:g}s;"
            " retry, or read without min_position",
            min_position=wanted,
            checkpoint=reached,
        )
