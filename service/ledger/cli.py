"""The ledger's subcommands: `pledger keys generate`, `pledger verify`, `pledger audit`."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
from tqdm import tqdm

from service.config import Settings
from service.ledger.audit import DEFAULT_SAMPLE, AuditFailure, audit
from service.ledger.checkpoint import NoteError, VerifierKey
from service.ledger.signing import SETTING, read_key, write_key_pair
from service.ledger.verify import Report, verify_ledger
from service.store.bootstrap import resolve_database


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = sub.add_parser("keys", help="checkpoint signing keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    gen = keys_sub.add_parser("generate", help="write a new Ed25519 key pair (FILE, FILE.pub)")
    gen.add_argument("--name", required=True, help="key name, e.g. the log origin")
    gen.add_argument("--out", type=Path, required=True, help="private key file (not overwritten)")
    gen.set_defaults(func=cmd_keys_generate)

    verify = sub.add_parser("verify", help="recompute every leaf, node and checkpoint")
    verify.add_argument("--key", help=f"verifier key (default: derived from {SETTING})")
    verify.add_argument("--quiet", action="store_true", help="no progress bar")
    verify.set_defaults(func=cmd_verify)

    aud = sub.add_parser("audit", help="check a server over HTTP against a trusted checkpoint")
    aud.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:8080")
    aud.add_argument("--key", required=True, help="the log's verifier key <name>+<id>+<key>")
    aud.add_argument("--state", type=Path, required=True, help="trusted checkpoint file")
    aud.add_argument(
        "--sample",
        type=_not_negative,
        default=DEFAULT_SAMPLE,
        help=f"also re-check N random older events on every run (default {DEFAULT_SAMPLE})",
    )
    aud.set_defaults(func=cmd_audit)


def _not_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0, got {value}")
    return value


def cmd_keys_generate(args: argparse.Namespace, settings: Settings) -> int:
    key = write_key_pair(args.name, args.out)
    print(f"private key: {args.out} (set {SETTING}={args.out})")
    print(f"verifier key: {key.verifier}")
    return 0


def _verifier(args: argparse.Namespace, settings: Settings) -> VerifierKey | None:
    if args.key:
        return VerifierKey.parse(args.key)
    return read_key(settings.signing_key).verifier if settings.signing_key else None


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    key = _verifier(args, settings)
    settings = resolve_database(settings)
    assert settings.database_url
    started = time.perf_counter()
    report = asyncio.run(_verify(settings.database_url, key, quiet=args.quiet))
    elapsed = time.perf_counter() - started
    for finding in report.findings:
        print(f"FAIL {finding}")
    rate = report.events / elapsed if elapsed else 0.0
    print(
        f"{'FAILED' if report.findings else 'OK'}: {report.events} events, {report.nodes} nodes,"
        f" {report.checkpoints} checkpoints, {report.assessments} assessments' authority"
        f" in {elapsed:.2f}s ({rate:,.0f} events/s);"
        f" {len(report.findings)} finding(s)"
    )
    return 1 if report.findings else 0


async def _verify(dsn: str, key: VerifierKey | None, *, quiet: bool) -> Report:
    def progress(what: str, total: int) -> Any:
        off = True if quiet else None  # None: a bar only on a terminal
        return tqdm(total=total, desc=what, unit=" rows", file=sys.stderr, disable=off)

    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            return await verify_ledger(conn, key, progress)
    finally:
        await conn.close()


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    try:
        key = VerifierKey.parse(args.key)
        result = asyncio.run(audit(args.url, key, args.state, args.sample))
    except (AuditFailure, NoteError) as e:
        print(f"AUDIT FAILED: {e}", file=sys.stderr)
        return 1
    since = f"trusted size {result.trusted.tree_size}" if result.trusted else "no trusted state"
    print(
        f"OK: checkpoint {result.latest.tree_size} ({result.latest.root_hash.hex()}) verified"
        f" against {since}; {result.checked_events} inclusion proof(s) checked;"
        f" saved to {args.state}"
    )
    return 0
