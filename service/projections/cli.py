"""The read side's subcommands: `pledger project` and `pledger rebuild`."""

from __future__ import annotations

import argparse
import asyncio
import sys

from tqdm import tqdm

from service.config import Settings
from service.projections.leader import ProjectorRunner
from service.projections.rebuild import RebuildReport, rebuild
from service.store.bootstrap import migrated_database, open_store


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    project = sub.add_parser(
        "project", help="run the projector alone (one instance leads; others stand by)"
    )
    project.set_defaults(func=cmd_project)
    rebuild_cmd = sub.add_parser(
        "rebuild", help="rebuild the read tables from position 0 and swap them in atomically"
    )
    rebuild_cmd.add_argument("--quiet", action="store_true", help="no progress bar")
    rebuild_cmd.set_defaults(func=cmd_rebuild)


def cmd_project(args: argparse.Namespace, settings: Settings) -> int:
    dsn = migrated_database(settings)

    async def main() -> None:
        async with open_store(settings, dsn, max_size=4) as store:
            runner = ProjectorRunner(
                store,
                dsn,
                role=settings.db_role,
                batch_size=settings.projector_batch_size,
                cache_bytes=settings.projector_cache_mb * 2**20,
                linger_seconds=settings.projector_linger_seconds,
                poll_interval=settings.poll_interval_seconds,
            )
            await runner.run()

    asyncio.run(main())
    return 0


def cmd_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    dsn = migrated_database(settings)

    async def main() -> RebuildReport:
        off = True if args.quiet else None  # None: a bar only on a terminal
        bar = tqdm(desc="rebuild", unit=" events", file=sys.stderr, disable=off)

        def progress(position: int, head: int) -> None:
            bar.total = head
            bar.update(position - bar.n)

        try:
            async with open_store(settings, dsn, max_size=4) as store:
                return await rebuild(
                    store,
                    dsn,
                    role=settings.db_role,
                    batch_size=settings.projector_batch_size,
                    progress=progress,
                )
        finally:
            bar.close()

    report = asyncio.run(main())
    rate = report.position / report.seconds if report.seconds else 0.0
    print(
        f"rebuilt generation {report.generation} (replacing {report.replaced}) up to position"
        f" {report.position} in {report.seconds:.2f}s ({rate:,.0f} events/s)"
    )
    return 0
