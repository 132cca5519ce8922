"""The `pledger` command: serve, migrate, and the operator's other tools."""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import logging
import re
import sys
from collections.abc import Callable, Sequence

from service.auth import cli as auth_cli
from service.commitments import cli as commitments_cli
from service.config import ConfigError, Settings, load_settings
from service.ledger import cli as ledger_cli
from service.observability.logs import configure_logging
from service.projections import cli as projections_cli
from service.relay import cli as relay_cli
from service.store.bootstrap import resolve_database, service_login
from service.store.migrations import migrate

log = logging.getLogger("pledger")

Command = Callable[[argparse.Namespace, Settings], int]


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    settings = resolve_database(settings)
    assert settings.database_url
    applied = asyncio.run(migrate(settings.database_url))
    print(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else ""))
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from aiohttp import web

    from service.app import create_app, default_background

    embedded = not settings.database_url
    settings = resolve_database(settings)
    assert settings.database_url
    if not args.no_migrate:
        asyncio.run(migrate(settings.database_url))
    asyncio.run(_first_admin(settings))
    if embedded:
        # Migrated as the embedded server's owner; served as the login of schema/006_roles.sql,
        # which can append and grow the ledger only through their functions.
        settings = settings.model_copy(update={"database_url": service_login(settings)})
    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    app = create_app(settings, background=default_background(settings))
    web.run_app(
        app,
        host=host,
        port=port,
        access_log=None,
        print=_announce,
        shutdown_timeout=settings.shutdown_timeout_seconds,
    )
    return 0


def _announce(text: str) -> None:
    """aiohttp's banner, once its sockets listen, as one log line per address."""
    for url in re.findall(r"https?://\S+", text):
        log.info("listening on %s", url)


def _version() -> str:
    try:
        return importlib.metadata.version("pledger")
    except importlib.metadata.PackageNotFoundError:  # a checkout that was never installed
        return "unknown (not installed)"


async def _first_admin(settings: Settings) -> None:
    """On a new ledger: an administrator, its token in a file only its owner can read."""
    from service.auth.bootstrap import ensure_admin, token_path
    from service.auth.registry import PostgresRegistry
    from service.store.bootstrap import open_store

    async with open_store(settings, max_size=1) as store:
        path = token_path(settings.data_dir)
        if not await ensure_admin(PostgresRegistry(store.pool), path) and path.exists():
            log.info("the first administrator's token is in %s", path)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pledger",
        description="Pledger: an event-sourced ledger of commitments, their evidence and their "
        "compliance status as of any date. Uses DATABASE_URL, or an embedded PostgreSQL "
        "under PLEDGER_DATA_DIR (default .data/) when it is not set.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument(
        "--log-level", default=None, help="DEBUG, INFO, WARNING (default: PLEDGER_LOG_LEVEL)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="migrate, then run the HTTP API and background workers")
    serve.add_argument(
        "--no-migrate", action="store_true", help="do not apply pending migrations first"
    )
    serve.add_argument("--host", default=None, help="listen address (default: PLEDGER_HOST)")
    serve.add_argument("--port", type=int, default=None, help="listen port (default: PLEDGER_PORT)")
    serve.set_defaults(func=cmd_serve)

    mig = sub.add_parser("migrate", help="apply pending schema migrations and exit")
    mig.set_defaults(func=cmd_migrate)

    for register in EXTRA_COMMANDS:
        register(sub)
    return parser


# Other modules add their subcommands here: each takes the subparsers object.
EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = []
EXTRA_COMMANDS.append(ledger_cli.register)
EXTRA_COMMANDS.append(projections_cli.register)
EXTRA_COMMANDS.append(commitments_cli.register)
EXTRA_COMMANDS.append(relay_cli.register)
EXTRA_COMMANDS.append(auth_cli.register)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as e:
        print(f"pledger: configuration error: {e}", file=sys.stderr)
        return 2
    configure_logging(args.log_level or settings.log_level)
    func: Command = args.func
    try:
        return func(args, settings)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # noqa: BLE001 - a one-line message on the CLI, the trace in the log
        log.debug("command failed", exc_info=True)
        print(f"pledger {args.command}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
