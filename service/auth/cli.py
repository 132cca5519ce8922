"""`pledger principals ...`, `pledger tokens ...` and `pledger grants set`: the operator's tools.

They act with database access, as the operator (named in the events' metadata as `operator`).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from service.auth import authority
from service.auth.principals import Principal
from service.auth.registry import PostgresRegistry
from service.config import Settings
from service.domain.errors import DomainError
from service.store.bootstrap import migrated_database, open_store
from service.store.postgres import PostgresStore

Action = Callable[[PostgresStore, PostgresRegistry, argparse.Namespace], Awaitable[str]]


def operator_metadata() -> dict[str, Any]:
    return {"via": "cli", "recorded_by": None, "principal": None, "operator": getpass.getuser()}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    principals = sub.add_parser("principals", help="add, list or revoke principals")
    psub = principals.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = psub.add_parser("add", help="a principal acting for one party, or an administrator")
    add.add_argument("name")
    who = add.add_mutually_exclusive_group(required=True)
    who.add_argument("--party", help="the party it acts for")
    who.add_argument("--admin", action="store_true", help="an administrator")
    add.set_defaults(func=_command(_add))
    psub.add_parser("list", help="every principal").set_defaults(func=_command(_list))
    rev = psub.add_parser("revoke", help="revoke a principal and all its tokens")
    rev.add_argument("name")
    rev.set_defaults(func=_command(_revoke))

    tokens = sub.add_parser("tokens", help="issue or revoke bearer tokens")
    tsub = tokens.add_subparsers(dest="action", required=True, metavar="ACTION")
    issue = tsub.add_parser("issue", help="a new token for NAME, printed once")
    issue.add_argument("name")
    issue.set_defaults(func=_command(_issue))
    trev = tsub.add_parser("revoke", help="revoke NAME's tokens (all, or --token-id)")
    trev.add_argument("name")
    trev.add_argument("--token-id", default=None, help="only this token (from `tokens issue`)")
    trev.set_defaults(func=_command(_revoke_tokens))

    grants = sub.add_parser("grants", help="set a party's grant")
    gsub = grants.add_subparsers(dest="action", required=True, metavar="ACTION")
    gset = gsub.add_parser("set", help="the highest strength PARTY may state")
    gset.add_argument("party")
    gset.add_argument("max_strength", choices=["claimed", "reported", "verified"])
    gset.set_defaults(func=_command(_grant))


def _command(action: Action) -> Callable[[argparse.Namespace, Settings], int]:
    def run(args: argparse.Namespace, settings: Settings) -> int:
        settings = settings.model_copy(update={"database_url": migrated_database(settings)})
        try:
            print(asyncio.run(_with_store(settings, action, args)))
        except DomainError as e:
            print(f"pledger {args.command} {args.action}: {e.detail}", file=sys.stderr)
            return 1
        return 0

    return run


async def _with_store(settings: Settings, action: Action, args: argparse.Namespace) -> str:
    async with open_store(settings, max_size=2) as store:
        registry = PostgresRegistry(store.pool)
        return await action(store, registry, args)


async def _add(store: PostgresStore, registry: PostgresRegistry, args: argparse.Namespace) -> str:
    principal = Principal(args.name, None if args.admin else args.party, admin=args.admin)
    await authority.add_principal(store, registry, principal, operator_metadata())
    role = "administrator" if args.admin else f"acting for {args.party}"
    return f"added principal {args.name} ({role}); next: pledger tokens issue {args.name}"


async def _list(store: PostgresStore, registry: PostgresRegistry, args: argparse.Namespace) -> str:
    lines = []
    for row in await registry.list():
        role = "admin" if row.principal.admin else f"party {row.principal.party}"
        state = "revoked" if row.revoked_at else f"{row.tokens} live token(s)"
        lines.append(f"{row.principal.name}\t{role}\t{state}")
    return "\n".join(lines) or "no principals"


async def _revoke(
    store: PostgresStore, registry: PostgresRegistry, args: argparse.Namespace
) -> str:
    await authority.revoke_principal(store, registry, args.name, operator_metadata())
    return f"revoked principal {args.name} and its tokens"


async def _issue(store: PostgresStore, registry: PostgresRegistry, args: argparse.Namespace) -> str:
    token = await registry.issue(args.name)
    # The secret alone on stdout, so `$(pledger tokens issue NAME)` captures it; shown once.
    print(f"token {token.token_id} for {args.name} (shown once, keep it secret):", file=sys.stderr)
    return token.secret


async def _revoke_tokens(
    store: PostgresStore, registry: PostgresRegistry, args: argparse.Namespace
) -> str:
    count = await registry.revoke_tokens(args.name, args.token_id)
    return f"revoked {count} token(s) of {args.name}"


async def _grant(store: PostgresStore, registry: PostgresRegistry, args: argparse.Namespace) -> str:
    await authority.change_grant(store, args.party, args.max_strength, operator_metadata())
    await registry.notify()
    return f"{args.party} may now state up to {args.max_strength}"
