"""The read side's subcommands: `pledger project` and `pledger rebuild`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tqdm import tqdm

from service.config import Settings
from service.projections.leader import ProjectorRunner
from service.projections.rebuild import RebuildReport, rebuild
from service.store.database import create_pool
from service.store.postgres import PostgresStore


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


def _database(settings: Settings) -> str:
    from service.cli import resolve_database  # the CLI imports this module: import late
    from service.store.migrations import migrate

    settings = resolve_database(settings)
    assert settings.database_url
    asyncio.run(migrate(settings.database_url))
    return settings.database_url


@asynccontextmanager
async def _store(settings: Settings, dsn: str) -> AsyncIterator[PostgresStore]:
    pool = await create_pool(dsn, role=settings.db_role, min_size=1, max_size=4, timeout=10)
    store = PostgresStore(pool, dsn, poll_interval=settings.poll_interval_seconds)
    try:
        yield store
    finally:
        await store.close()
        await pool.close()


def cmd_project(args: argparse.Namespace, settings: Settings) -> int:
    dsn = _database(settings)

    async def main() -> None:
        async with _store(settings, dsn) as store:
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
    dsn = _database(settings)

    async def main() -> RebuildReport:
        bar = tqdm(desc="rebuild", unit=" events", file=sys.stderr, disable=args.quiet)

        def progress(position: int, head: int) -> None:
            bar.total = head
            bar.update(position - bar.n)

        try:
            async with _store(settings, dsn) as store:
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
