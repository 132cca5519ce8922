"""The first administrator: made by `pledger serve` when there is none, its token in a file.

A newcomer then needs no other step than reading that file; the token never reaches a log.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from service.auth.principals import Principal
from service.auth.registry import Registry

log = logging.getLogger(__name__)
TOKEN_FILE = "admin-token"
FIRST_ADMIN = "admin"


def token_path(data_dir: Path) -> Path:
    return data_dir.expanduser().resolve() / TOKEN_FILE


async def ensure_admin(registry: Registry, path: Path) -> bool:
    """Create an administrator and write its token to `path` (mode 0600) when no live
    administrator exists; whether it did."""
    rows = await registry.list()
    if any(r.principal.admin and r.revoked_at is None for r in rows):
        return False
    taken = {r.principal.name for r in rows}
    name = next(n for i in range(len(taken) + 1) if (n := _name(i)) not in taken)
    await registry.add(Principal(name, None, admin=True))
    token = await registry.issue(name)
    write_secret(path, token.secret + "\n")
    log.info("created administrator %r; its token is in %s (readable by you only)", name, path)
    return True


def _name(i: int) -> str:
    return FIRST_ADMIN if i == 0 else f"{FIRST_ADMIN}-{i + 1}"


def write_secret(path: Path, text: str) -> None:
    """Write a file only its owner can read, never briefly readable by others."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
