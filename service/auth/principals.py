"""Principals, bearer tokens and the snapshot every request is checked against, in memory.

A token is "plg_" + 43 base64url characters of 256 random bits. Only its SHA-256 is stored: the
secret has too much entropy to be guessed back from its hash, so no slow hash is needed, and a
request costs one SHA-256 and one dict lookup.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Final

from service.domain.events import STRENGTH_RANK, Strength

TOKEN_PREFIX: Final = "plg_"
TOKEN_PATTERN: Final = re.compile(r"^plg_[A-Za-z0-9_-]{43}$")
NAME_PATTERN: Final = r"^[a-z0-9][a-z0-9._-]{0,63}$"
DEFAULT_GRANT: Final[Strength] = "claimed"


@dataclass(frozen=True, slots=True)
class Principal:
    """A named writer: acting for exactly one party, or an administrator (party None)."""

    name: str
    party: str | None
    admin: bool = False


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token as issued: the secret is shown once and never stored."""

    token_id: str
    principal: str
    secret: str

    @property
    def token_hash(self) -> bytes:
        return token_hash(self.secret)


def new_token(principal: str) -> IssuedToken:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return IssuedToken(secrets.token_hex(8), principal, secret)


def token_hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Live tokens (by hash), principals (by name) and parties' grants, as last loaded."""

    tokens: dict[bytes, Principal] = field(default_factory=dict)
    principals: dict[str, Principal] = field(default_factory=dict)
    grants: dict[str, Strength] = field(default_factory=dict)

    def lookup(self, secret: str) -> Principal | None:
        """The principal a presented token belongs to, or None (malformed, unknown, revoked).

        The dict is keyed by the token's SHA-256, so how long a lookup takes depends on the
        hash, never on how much of a stored secret a guess got right.
        """
        if not TOKEN_PATTERN.match(secret):
            return None
        return self.tokens.get(token_hash(secret))

    def grant(self, party: str | None) -> Strength:
        if party is None:
            return DEFAULT_GRANT
        return self.grants.get(party, DEFAULT_GRANT)


def at_least(grant: str, strength: str) -> bool:
    return STRENGTH_RANK[grant] >= STRENGTH_RANK[strength]
