"""`pledger relay`: the JetStream relay alone (one instance leads; others stand by)."""

from __future__ import annotations

import argparse
import asyncio

from service.config import Settings
from service.relay.background import relay_runner
from service.store.bootstrap import migrated_database, open_store


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    relay = sub.add_parser(
        "relay", help="run the JetStream relay alone (one instance leads; others stand by)"
    )
    relay.set_defaults(func=cmd_relay)


def cmd_relay(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.nats_url:
        raise ValueError("PLEDGER_NATS_URL is not set: nowhere to relay to")
    dsn = migrated_database(settings)

    async def main() -> None:
        async with open_store(settings, dsn, max_size=2) as store:
            await relay_runner(store, dsn, settings).run()

    asyncio.run(main())
    return 0
