"""Acting as someone in tests: an administrator's token, or a party's principal made through
the real API (principal, grant, token), as an operator and a client would."""

from __future__ import annotations

from typing import Any

import asyncpg

from service.auth.principals import Principal
from service.auth.registry import MemoryRegistry, PostgresRegistry, Registry
from tests.commitments_support import post, put
from tests.support import unique


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def admin_token(registry: Registry) -> str:
    """A new administrator and its token, made as `pledger principals add --admin` does."""
    name = unique("admin")
    await registry.add(Principal(name, None, admin=True))
    return (await registry.issue(name)).secret


async def admin_headers(registry_or_dsn: Registry | str) -> dict[str, str]:
    """Authorization headers of a new administrator; give a registry, or a database's DSN."""
    if not isinstance(registry_or_dsn, str):
        return bearer(await admin_token(registry_or_dsn))
    pool = await asyncpg.create_pool(registry_or_dsn, min_size=1, max_size=1)
    try:
        return bearer(await admin_token(PostgresRegistry(pool)))
    finally:
        await pool.close()


async def principal_of(client: Any, party: str, grant: str | None = None) -> dict[str, str]:
    """A new principal acting for `party` (and its grant, when given), as an administrator
    makes it over the API with the client's own (administrator) headers; its headers."""
    name = unique(f"{party[:40]}-w")
    await post(client, "/v1/principals", {"name": name, "party": party})
    if grant is not None:
        await put(client, f"/v1/parties/{party}/grant", {"max_strength": grant})
    token = await post(client, f"/v1/principals/{name}/tokens", {})
    return bearer(token["token"])


async def admin_client(
    aiohttp_client: Any, settings: Any, store: Any = None, **app_kwargs: Any
) -> Any:
    """A test client of create_app(settings, store=store, ...) whose every request carries a new
    administrator's token: in the memory registry over a store without a pool, else in the
    database of settings.database_url."""
    from service.app import create_app

    if store is not None and getattr(store, "pool", None) is None:
        registry = MemoryRegistry()
        headers = await admin_headers(registry)
        app = create_app(settings, store=store, registry=registry, **app_kwargs)
    else:
        headers = await admin_headers(settings.database_url)
        app = create_app(settings, store=store, **app_kwargs)
    return await aiohttp_client(app, headers=headers)
