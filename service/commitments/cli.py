"""`pledger import FILE.json` (a scenario, through the write use cases) and `pledger replay ID`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from service.auth.registry import PostgresRegistry
from service.commitments.importer import (
    ImportFailed,
    ImportReport,
    Item,
    import_items,
    read_scenario,
)
from service.commitments.queries import load_timeline
from service.config import Settings
from service.domain.errors import InvalidParameter
from service.domain.status import TimelineEntry
from service.domain.timeparse import parse_query_time
from service.log.records import format_time
from service.store.bootstrap import migrated_database, open_store, resolve_database


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = sub.add_parser(
        "import",
        help="load a scenario {parties, agreements, commitments, events}; again adds nothing",
    )
    imp.add_argument(
        "file", type=Path, help="the scenario, e.g. examples/nato-afghanistan-2021.json"
    )
    imp.add_argument("--quiet", action="store_true", help="no progress bar")
    imp.add_argument(
        "--operator",
        default=getpass.getuser(),
        help="who imports, kept as imported_by in every event (default: your user name)",
    )
    imp.set_defaults(func=cmd_import)

    rep = sub.add_parser(
        "replay", help="print a commitment's timeline and its status after each event"
    )
    rep.add_argument("commitment", help="the commitment id")
    rep.add_argument("--as-of", default=None, help="valid time V (date or timestamp; default now)")
    rep.add_argument("--known-at", default=None, help="transaction time K (default now)")
    rep.set_defaults(func=cmd_replay)


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    try:
        items = read_scenario(args.file)
    except ImportFailed as e:
        print(f"pledger import: {e}", file=sys.stderr)
        return 1
    settings = settings.model_copy(update={"database_url": migrated_database(settings)})
    try:
        report = asyncio.run(_import(settings, items, args.operator, quiet=args.quiet))
    except ImportFailed as e:
        print(f"pledger import: {e}", file=sys.stderr)
        return 1
    print(
        f"imported {args.file}: {len(items)} item(s), {report.written} written,"
        f" {report.present} already present, {len(report.changed)} changed"
    )
    for change in report.changed:
        print(f"  changed {change}, recorded anew")
    return 0


async def _import(
    settings: Settings, items: list[Item], operator: str, *, quiet: bool
) -> ImportReport:
    # disable=None: a bar only on a terminal, never as control characters in a log file.
    off = True if quiet else None
    with tqdm(total=len(items), unit=" items", file=sys.stderr, disable=off) as bar:
        async with open_store(settings, max_size=4) as store:
            registry = PostgresRegistry(store.pool)
            return await import_items(
                store, items, lambda: bar.update(1), operator=operator, registry=registry
            )


def cmd_replay(args: argparse.Namespace, settings: Settings) -> int:
    now = datetime.now(UTC)
    try:
        as_of = parse_query_time("--as-of", args.as_of, now)
        known_at = parse_query_time("--known-at", args.known_at, now)
    except InvalidParameter as e:
        print(f"pledger replay: {e.detail}", file=sys.stderr)
        return 2
    settings = resolve_database(settings)
    entries = asyncio.run(_timeline(settings, args.commitment, as_of, known_at))
    if not entries:
        print(
            f"pledger replay: nothing of commitment {args.commitment!r} was known at"
            f" {format_time(known_at)} (as of {format_time(as_of)})",
            file=sys.stderr,
        )
        return 1
    print(f"{args.commitment} as of {format_time(as_of)}, known at {format_time(known_at)}")
    for entry in entries:
        print(render(entry))
    return 0


async def _timeline(
    settings: Settings, commitment_id: str, as_of: datetime, known_at: datetime
) -> list[TimelineEntry]:
    async with open_store(settings, max_size=4) as store:
        return await load_timeline(store, commitment_id, as_of, known_at)


def render(entry: TimelineEntry) -> str:
    """An event's line (when, what, who wrote it, and the status right after it), then its
    note and source indented below; a deadline passing is a line of its own."""
    what = entry.type + _detail(entry.data)
    if entry.recorded_by is not None:
        what += f" [written by {entry.recorded_by}]"
    if entry.corrected:
        what += " [CORRECTED: not applied]"
    status = entry.status
    if status is None:
        after = "-> does not exist"
    else:
        due = format_time(status.due_by)[:10] if status.due_by else "none"
        disputed = ", disputed" if status.disputed else ""
        after = f"-> {status.verdict}, {status.schedule}{disputed}, due {due}"
    when = f"{format_time(entry.occurred_at)[:16]}Z"
    if entry.recorded_at is None:
        return f"{'(clock)':<7} {when} {'(no event)':<27}  {what}  {after}"
    recorded = f"(recorded {format_time(entry.recorded_at)[:16]}Z)"
    lines = [f"#{entry.position:<6} {when} {recorded}  {what}  {after}"]
    if "note" in entry.data:
        lines.append(f"{'':8}note: {entry.data['note']}")
    source = entry.data.get("source")
    if isinstance(source, dict):
        named = " ".join(str(source[k]) for k in ("title", "url") if k in source)
        quote = f' "{source["quote"]}"' if "quote" in source else ""
        lines.append(f"{'':8}source: {named}{quote}")
    return "\n".join(lines)


def _detail(data: dict[str, Any]) -> str:
    if "promisor" in data:
        return f" by {data['promisor']} to {', '.join(data['promisees'])}"
    for keys in (
        ("assessor", "verdict", "strength"),
        ("condition",),
        ("due_by",),
        ("by",),
        ("corrects",),
    ):
        if all(k in data for k in keys):
            return " " + " ".join(str(data[k]) for k in keys)
    return ""
