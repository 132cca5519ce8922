"""CI: schemathesis (v4, every check, a fixed seed, bounded examples) against a real server.

Starts `pledger serve` on a fresh database (DATABASE_URL's server, else an embedded one) with a
signing key and the example imported, runs schemathesis over its /v1/openapi.json (settings in
.ci/schemathesis.toml) and exits with its status: `.ci/run` fails on any failure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from leaf_check import (  # noqa: E402
    PLEDGER,
    ROOT,
    admin_token,
    database,
    free_port,
    stop_embedded,
    wait_ready,
)

SCHEMATHESIS = str(ROOT / ".venv" / "bin" / "schemathesis")
CONFIG = str(ROOT / ".ci" / "schemathesis.toml")


def check(tmp: Path) -> int:
    dsn = database(tmp)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    key = tmp / "ledger.key"
    env = {**os.environ, "DATABASE_URL": dsn, "PLEDGER_PORT": str(port),
           "PLEDGER_DATA_DIR": str(tmp / "data"), "PLEDGER_SIGNING_KEY": str(key),
           "PLEDGER_CHECKPOINT_EVERY_EVENTS": "5", "PLEDGER_ACCESS_LOG": "false"}  # fmt: skip
    subprocess.run([PLEDGER, "keys", "generate", "--name", "contract.test", "--out", str(key)],
                   env=env, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    log_path = tmp / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen([PLEDGER, "serve"], env=env, stdout=log, stderr=log)
    try:
        wait_ready(base, server)
        admin_token(tmp / "data" / "admin-token")
        example = str(ROOT / "examples" / "nato-afghanistan-2021.json")
        subprocess.run([PLEDGER, "import", example, "--quiet"], env=env, check=True)
        command = [SCHEMATHESIS, "--config-file", CONFIG, "run", f"{base}/v1/openapi.json"]
        command += ["--max-time", "240"]  # a bound on the whole run, whatever it finds
        if os.environ.get("PLEDGER_TOKEN"):
            command += ["-H", f"Authorization: Bearer {os.environ['PLEDGER_TOKEN']}"]
        return subprocess.run(command, env=env).returncode
    except BaseException:
        sys.stderr.write(log_path.read_text(errors="replace")[-4000:])
        raise
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="pledger-contract-") as tmp:
        try:
            return check(Path(tmp))
        finally:
            stop_embedded(Path(tmp) / "pg")


if __name__ == "__main__":
    sys.exit(main())
