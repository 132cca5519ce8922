"""CI: a JavaScript verifier recomputes every leaf a real server serves (docs/ledger.md).

Starts `pledger serve` on a fresh database (DATABASE_URL's server, else an embedded one), runs
`pledger import` of the example, writes crafted events (floats, exponents, non-BMP keys,
escapes) over HTTP and straight into the store, then runs examples/verify_leaves.mjs; exits
with its status, so `.ci/run` fails unless 100% of the leaves match.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.config import load_settings  # noqa: E402
from service.log.records import NewEvent  # noqa: E402
from service.store.bootstrap import open_store  # noqa: E402
from service.store.database import (  # noqa: E402
    ensure_database,
    start_embedded,
    stop_embedded,
    with_database,
)

PLEDGER = str(ROOT / ".venv" / "bin" / "pledger")
FLOATS = [0.0, -0.0, 1e21, 1e-7, 1.5e-7, 123.456, 1e20, 5e-324, 1.7976931348623157e308]
SOURCE = {"title": 'leaf check: "quoted" \\ back\tslash \u2028 \U0001f600 \u00e9'}


def crafted_store_events() -> list[NewEvent]:
    now = datetime.now(UTC)
    data = {
        "floats": FLOATS,
        "exponents": [1e-6, 1e-7, 1e22, 2.5e-300, -4.2e100, 43035840652668090],
        "\U0001f600 non-BMP": 1,
        "\ue000 private use": 2,
        "\u20ac": 3,
        "escapes": '"\\/\b\f\n\r\t\u0001\u001f\u007f\u2028\u2029',
        "nested": {"\U0001d11e": [True, False, None, {"": 0.1}]},
    }
    return [
        NewEvent("leaf_check_recorded", data, now, {"via": "leaf-check", "n": -0.0}),
        NewEvent("leaf_check_recorded", {"k": 1e21, "\U0001f600": "\U0001f600"}, now),
    ]


def http(base: str, method: str, path: str, body: object | None = None) -> object:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    token = os.environ.get("PLEDGER_TOKEN")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as e:
        raise SystemExit(f"leaf check: {method} {path}: {e.code} {e.read().decode()}") from None


def write_over_http(base: str) -> None:
    tag = uuid.uuid4().hex[:8]
    for party in (f"lc-a-{tag}", f"lc-b-{tag}"):
        http(base, "POST", "/v1/parties", {"id": party, "name": f"Party \U0001f600 {party}",
                                           "kind": "state"})  # fmt: skip
    for n, target in enumerate([*FLOATS, 2**53, -(2**53)]):  # bodies refuse integers past int64
        commitment = f"lc-{tag}-{n}"
        http(base, "POST", "/v1/commitments", {
            "id": commitment, "promisor": f"lc-a-{tag}", "promisees": [f"lc-b-{tag}"],
            "text": "Deliver \"exactly\" this\n\u00e9\U0001f600", "made_at": "2021-01-01",
            "measure": {"target": target, "unit": "tonnes", "comparator": ">="},
            "source": SOURCE,
        })  # fmt: skip
        http(base, "POST", f"/v1/commitments/{commitment}/events", {
            "type": "assessment_recorded", "assessor": f"lc-b-{tag}", "verdict": "in_progress",
            "strength": "reported", "occurred_at": "2021-02-01", "measure_value": -target,
            "source": SOURCE,
        })  # fmt: skip


def admin_token(path: Path) -> None:
    """Writes need a bearer token where the server has principals: `pledger serve` writes the
    first administrator's to PLEDGER_DATA_DIR/admin-token. Servers without them write none."""
    deadline = time.monotonic() + 5
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    if path.exists():
        os.environ["PLEDGER_TOKEN"] = path.read_text(encoding="utf-8").strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"leaf check: pledger serve exited with {server.returncode}")
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise SystemExit("leaf check: the server did not become ready within 120 s")


async def append_crafted(dsn: str) -> None:
    async with open_store(load_settings(database_url=dsn)) as store:
        await store.append(f"leaf-check-{uuid.uuid4().hex[:8]}", crafted_store_events(), "any")


def database(workdir: Path) -> str:
    admin = os.environ.get("DATABASE_URL") or start_embedded(workdir / "pg", keep=False)
    name = f"leafcheck_{uuid.uuid4().hex[:12]}"
    asyncio.run(ensure_database(admin, name))
    return with_database(admin, name)


async def drop(dsn: str) -> None:
    """The check's database goes when it is done (a shared server keeps no leftovers)."""
    admin = with_database(dsn, "postgres")
    conn = await asyncpg.connect(admin)
    try:
        quoted = await conn.fetchval("SELECT quote_ident($1)", urlsplit(dsn).path.lstrip("/"))
        await conn.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
    finally:
        await conn.close()


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="pledger-leafcheck-") as tmp:
        try:
            return check(Path(tmp))
        finally:
            if (Path(tmp) / "pg").exists():
                stop_embedded(Path(tmp) / "pg")  # before its directory goes, or it lingers


def check(tmp: Path) -> int:
    dsn = database(tmp)
    try:
        return serve_and_check(tmp, dsn)
    finally:
        asyncio.run(drop(dsn))


def serve_and_check(tmp: Path, dsn: str) -> int:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": dsn, "PLEDGER_PORT": str(port),
           "PLEDGER_DATA_DIR": str(tmp / "data")}  # fmt: skip
    log_path = tmp / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen([PLEDGER, "serve"], env=env, stdout=log, stderr=log)
    try:
        wait_ready(base, server)
        admin_token(tmp / "data" / "admin-token")
        example = str(ROOT / "examples" / "nato-afghanistan-2021.json")
        subprocess.run([PLEDGER, "import", example, "--quiet"], env=env, check=True)
        write_over_http(base)
        asyncio.run(append_crafted(dsn))
        node = ["node", str(ROOT / "examples" / "verify_leaves.mjs"), base]
        token = os.environ.get("PLEDGER_TOKEN", "")
        return subprocess.run(node, env={**env, "PLEDGER_TOKEN": token}).returncode
    except BaseException:
        sys.stderr.write(log_path.read_text(errors="replace")[-4000:])
        raise
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
