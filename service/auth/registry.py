"""Where principals and token hashes are kept: PostgreSQL tables, or memory for the memory store.

Both implement `Registry`; every change in PostgreSQL fires NOTIFY pledger_auth (a trigger in
schema/004_principals.sql), which every process's cache listens to.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import asyncpg

from service.auth.principals import IssuedToken, Principal, new_token
from service.domain.errors import AlreadyExists, EntityNotFound, ValidationFailed
from service.log.records import format_time

CHANNEL = "pledger_auth"


@dataclass(frozen=True, slots=True)
class PrincipalRow:
    principal: Principal
    created_at: datetime
    revoked_at: datetime | None
    tokens: int  # live ones

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.principal.name,
            "party": self.principal.party,
            "admin": self.principal.admin,
            "created_at": format_time(self.created_at),
            "revoked_at": None if self.revoked_at is None else format_time(self.revoked_at),
            "live_tokens": self.tokens,
        }


class Registry(Protocol):
    async def add(self, principal: Principal) -> None: ...
    async def get(self, name: str) -> PrincipalRow | None: ...
    async def list(self) -> list[PrincipalRow]: ...
    async def issue(self, name: str) -> IssuedToken: ...
    async def revoke_tokens(self, name: str, token_id: str | None = None) -> int: ...
    async def revoke_principal(self, name: str) -> int: ...
    async def live_tokens(self) -> dict[bytes, Principal]: ...
    async def notify(self) -> None:
        """Tell every process's cache to reload (a change the tables' triggers cannot see)."""
        ...


def _live(row: PrincipalRow | None, name: str) -> PrincipalRow:
    if row is None:
        raise EntityNotFound("principal", name)
    if row.revoked_at is not None:
        raise ValidationFailed("name", f"principal {name!r} is revoked")
    return row


class MemoryRegistry:
    """The same behaviour in a dict, for the memory store (tests, trying things out)."""

    def __init__(self) -> None:
        self._rows: dict[str, PrincipalRow] = {}
        self._tokens: dict[str, tuple[IssuedToken, datetime | None]] = {}

    async def add(self, principal: Principal) -> None:
        if principal.name in self._rows:
            raise AlreadyExists("principal", principal.name)
        self._rows[principal.name] = PrincipalRow(principal, datetime.now(UTC), None, 0)

    async def get(self, name: str) -> PrincipalRow | None:
        row = self._rows.get(name)
        if row is None:
            return None
        live = sum(1 for t, r in self._tokens.values() if t.principal == name and r is None)
        return replace(row, tokens=live)

    async def list(self) -> list[PrincipalRow]:
        return [r for name in sorted(self._rows) if (r := await self.get(name)) is not None]

    async def issue(self, name: str) -> IssuedToken:
        _live(await self.get(name), name)
        token = new_token(name)
        self._tokens[token.token_id] = (token, None)
        return token

    async def revoke_tokens(self, name: str, token_id: str | None = None) -> int:
        if await self.get(name) is None:
            raise EntityNotFound("principal", name)
        now, count = datetime.now(UTC), 0
        for tid, (token, revoked) in list(self._tokens.items()):
            if token.principal == name and revoked is None and token_id in (None, tid):
                self._tokens[tid] = (token, now)
                count += 1
        return count

    async def revoke_principal(self, name: str) -> int:
        row = _live(await self.get(name), name)
        count = await self.revoke_tokens(name)
        self._rows[name] = replace(row, revoked_at=datetime.now(UTC))
        return count

    async def live_tokens(self) -> dict[bytes, Principal]:
        return {
            t.token_hash: self._rows[t.principal].principal
            for t, revoked in self._tokens.values()
            if revoked is None and self._rows[t.principal].revoked_at is None
        }

    async def notify(self) -> None:
        return None  # one process: its own cache reloads after the change


ROWS_SQL = """
SELECT p.name, p.party, p.admin, p.created_at, p.revoked_at,
       (SELECT count(*) FROM principal_tokens t
        WHERE t.principal = p.name AND t.revoked_at IS NULL) AS tokens
FROM principals p
"""
LIVE_SQL = """
SELECT t.token_hash, p.name, p.party, p.admin FROM principal_tokens t
JOIN principals p ON p.name = t.principal
WHERE t.revoked_at IS NULL AND p.revoked_at IS NULL
"""


def _row(r: Any) -> PrincipalRow:
    principal = Principal(r["name"], r["party"], r["admin"])
    return PrincipalRow(principal, r["created_at"], r["revoked_at"], r["tokens"])


class PostgresRegistry:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def add(self, principal: Principal) -> None:
        try:
            await self._pool.execute(
                "INSERT INTO principals (name, party, admin) VALUES ($1, $2, $3)",
                principal.name,
                principal.party,
                principal.admin,
            )
        except asyncpg.UniqueViolationError:
            raise AlreadyExists("principal", principal.name) from None

    async def get(self, name: str) -> PrincipalRow | None:
        row = await self._pool.fetchrow(ROWS_SQL + " WHERE p.name = $1", name)
        return None if row is None else _row(row)

    async def list(self) -> list[PrincipalRow]:
        return [_row(r) for r in await self._pool.fetch(ROWS_SQL + " ORDER BY p.name")]

    async def issue(self, name: str) -> IssuedToken:
        _live(await self.get(name), name)
        token = new_token(name)
        await self._pool.execute(
            "INSERT INTO principal_tokens (token_id, principal, token_hash) VALUES ($1, $2, $3)",
            token.token_id,
            name,
            token.token_hash,
        )
        return token

    async def revoke_tokens(self, name: str, token_id: str | None = None) -> int:
        if await self.get(name) is None:
            raise EntityNotFound("principal", name)
        status: str = await self._pool.execute(
            "UPDATE principal_tokens SET revoked_at = now() WHERE principal = $1"
            " AND revoked_at IS NULL AND ($2::text IS NULL OR token_id = $2)",
            name,
            token_id,
        )
        return int(status.split()[-1])

    async def revoke_principal(self, name: str) -> int:
        _live(await self.get(name), name)
        async with self._pool.acquire() as conn, conn.transaction():
            status: str = await conn.execute(
                "UPDATE principal_tokens SET revoked_at = now()"
                " WHERE principal = $1 AND revoked_at IS NULL",
                name,
            )
            await conn.execute("UPDATE principals SET revoked_at = now() WHERE name = $1", name)
        return int(status.split()[-1])

    async def live_tokens(self) -> dict[bytes, Principal]:
        rows = await self._pool.fetch(LIVE_SQL)
        return {bytes(r[0]): Principal(r[1], r[2], r[3]) for r in rows}

    async def notify(self) -> None:
        await self._pool.execute("SELECT pg_notify($1, 'changed')", CHANNEL)
