"""Request and response bodies of the principals, tokens and grants routes (administrators)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, TypeAdapter, model_validator

from service.api.schemas import Answer, Party
from service.auth.principals import NAME_PATTERN
from service.domain.commands import Body, Slug
from service.domain.events import Strength

Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]


class AddPrincipal(Body):
    """{name, party}: a writer acting for that party; {name, admin: true}: an administrator."""

    name: Name
    party: Slug | None = None
    admin: bool = False

    @model_validator(mode="after")
    def _one_role(self) -> AddPrincipal:
        if self.admin == (self.party is not None):
            raise ValueError("give either a party or admin: true, not both")
        return self


class SetGrant(Body):
    max_strength: Strength


ADD_PRINCIPAL: TypeAdapter[AddPrincipal] = TypeAdapter(AddPrincipal)
SET_GRANT: TypeAdapter[SetGrant] = TypeAdapter(SetGrant)


class PartyWithGrant(Party):
    grant: Strength = Field(description="the highest strength the party's principals may state")
    ceased_at: str | None = Field(
        json_schema_extra={"format": "date-time"},
        description="when the party ceased (rules v2, R5) at (as_of, known_at), or null",
    )


class PrincipalAdded(Answer):
    name: str
    party: str | None
    admin: bool
    event_id: str | None = Field(None, description="its principal_added event, for a party's")
    position: int | None = None


class PrincipalLine(Answer):
    name: str
    party: str | None
    admin: bool
    created_at: str
    revoked_at: str | None
    live_tokens: int


class PrincipalList(Answer):
    principals: list[PrincipalLine]


class PrincipalRevoked(Answer):
    name: str
    revoked: bool


class TokenIssued(Answer):
    principal: str
    token_id: str
    token: str = Field(description="the secret: shown in this answer only, never again")


class TokensRevoked(Answer):
    principal: str
    revoked: int


class GrantChanged(Answer):
    party: str
    grant: Strength
    event_id: str
    position: int
