"""Scale-out: two real `pledger serve` processes on one PostgreSQL, every worker on in both.

Both take writes; exactly one projector, one relay and one webhook deliverer lead; the leader
killed with SIGKILL under write load hands over to the other within seconds; afterwards the
read tables answer what the fold answers, the Merkle tree holds every event once, and JetStream
holds every event once in log order. (The tree builders of both processes take turns under a
transaction lock.)
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import asyncpg
import pytest

from service.log.records import format_time
from tests.auth_support import admin_headers
from tests.commitments_support import SOURCE
from tests.conftest import drop_database, fresh_database
from tests.nats_support import Destination, stream_view
from tests.serve_support import Serve, leaders, positions
from tests.support import unique, wait_for

PROMISORS = 2


@pytest.fixture
async def cluster(server_dsn: str, destination: Destination) -> AsyncIterator[list[Serve]]:
    dsn = await fresh_database(server_dsn, "pledger_scale")
    environment = {
        **destination.environment(),
        "PLEDGER_POLL_INTERVAL_SECONDS": "0.1",
        "PLEDGER_ACCESS_LOG": "false",
        "PLEDGER_LEDGER_ORIGIN": "scale.pledger.test",
    }
    servers = [Serve("pledger-a", dsn, environment), Serve("pledger-b", dsn, environment)]
    try:
        yield servers
    finally:
        await asyncio.gather(*(s.stop() for s in servers))
        await drop_database(server_dsn, dsn)


class Load:
    """Writers posting commitments to whichever servers are alive; a write cut off by a kill is
    sent again, with the same Idempotency-Key, to another server."""

    def __init__(self, session: aiohttp.ClientSession, servers: list[Serve], parties: list[str]):
        self.session, self.servers, self.parties = session, servers, parties
        self.written: list[str] = []
        self.stop = asyncio.Event()
        self.by_server = dict.fromkeys((s.name for s in servers), 0)

    async def run(self, writers: int = 2) -> None:
        await asyncio.gather(*(self._writer(i) for i in range(writers)))

    async def _writer(self, index: int) -> None:
        turn = itertools.count(index)
        while not self.stop.is_set():
            body = {
                "id": unique("c"),
                "promisor": self.parties[next(turn) % PROMISORS],
                "promisees": [self.parties[-1]],
                "text": "Deliver.",
                "made_at": "2024-01-01",
                "source": SOURCE,
            }
            await self._post(body, next(turn))
            self.written.append(body["id"])

    async def _post(self, body: dict[str, object], turn: int) -> None:
        key = body["id"]
        for attempt in range(20):
            alive = [s for s in self.servers if s.alive]
            server = alive[(turn + attempt) % len(alive)]
            try:
                async with self.session.post(
                    f"{server.url}/v1/commitments", data=json.dumps(body),
                    headers={"Content-Type": "application/json", "Idempotency-Key": str(key)},
                ) as resp:  # fmt: skip
                    assert resp.status in ((201,) if attempt == 0 else (201, 409)), resp.status
                    self.by_server[server.name] += 1
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)  # that server is going down: try another
        raise AssertionError(f"commitment {key} was never written")

    async def until(self, count: int) -> None:
        await wait_for(lambda: len(self.written) >= count, timeout=60)


async def _only_leader(conn: asyncpg.Connection, name: str) -> bool:
    held = await leaders(conn)
    return all(holders == [name] for holders in held.values())


async def _parties(session: aiohttp.ClientSession, servers: list[Serve]) -> list[str]:
    made = []
    for i in range(PROMISORS + 1):
        party = unique("p")
        body = {"id": party, "name": party, "kind": "state"}
        async with session.post(f"{servers[i % 2].url}/v1/parties", json=body) as resp:
            assert resp.status == 201, await resp.text()
        made.append(party)
    return made


async def test_two_serve_processes_one_leader_each_and_a_handover(
    cluster: list[Serve], destination: Destination, server_dsn: str
) -> None:
    # Every write as an administrator, whose token both servers load at start-up.
    async with aiohttp.ClientSession(headers=await admin_headers(cluster[0].dsn)) as session:
        await asyncio.gather(*(s.start(session) for s in cluster))
        conn = await asyncpg.connect(cluster[0].dsn)
        try:
            await _scenario(session, conn, cluster, destination)
        finally:
            await conn.close()


async def _scenario(
    session: aiohttp.ClientSession,
    conn: asyncpg.Connection,
    cluster: list[Serve],
    destination: Destination,
) -> None:
    names = {s.name for s in cluster}
    await wait_for(lambda: _one_each(conn, names), timeout=30)
    load = Load(session, cluster, await _parties(session, cluster))
    writing = asyncio.create_task(load.run())
    try:
        await load.until(40)
        victim_name = (await leaders(conn))["projector"][0]
        victim = next(s for s in cluster if s.name == victim_name)
        survivor = next(s for s in cluster if s is not victim)
        await victim.kill()
        await wait_for(lambda: _only_leader(conn, survivor.name), timeout=15)  # "within seconds"
        await load.until(len(load.written) + 40)
        await victim.start(session)  # back as a standby: the leaders stay where they are
        await load.until(len(load.written) + 40)
        assert await _only_leader(conn, survivor.name)
    finally:
        load.stop.set()
        await writing
    assert all(load.by_server.values()), load.by_server  # both took writes
    head = (await positions(conn))["head"]

    async def caught_up() -> bool:
        now = await positions(conn)
        return now["projector"] == now["relay"] == now["tree"] == head

    await wait_for(caught_up, timeout=60)
    async with session.get(f"{cluster[0].url}/metrics") as resp:
        assert "pledger_relay_lag_events 0.0" in (await resp.text()).splitlines()
    await _check_read_tables(session, cluster[0], load)
    rows = await conn.fetch("SELECT event_id FROM events ORDER BY position")
    relayed = [m.headers["ce-id"] for m in await stream_view(destination.url, destination.stream)]
    assert relayed == [
        str(r["event_id"]) for r in rows
    ]  # every event once, in log order, across the handover


async def _one_each(conn: asyncpg.Connection, names: set[str]) -> bool:
    held = await leaders(conn)
    return all(len(holders) == 1 and holders[0] in names for holders in held.values())


async def _check_read_tables(session: aiohttp.ClientSession, server: Serve, load: Load) -> None:
    """Nothing skipped or applied twice: each promisor's tally from the read tables equals
    the tally folded from the log, and every commitment written is counted once."""
    now = format_time(datetime.now(UTC))
    total = 0
    for party in load.parties[:PROMISORS]:
        url = f"{server.url}/v1/parties/{party}/compliance"
        async with session.get(url, params={"limit": "1"}) as resp:
            tables = await resp.json()
        async with session.get(url, params={"limit": "1", "as_of": now, "known_at": now}) as resp:
            folded = await resp.json()
        assert tables["total"] == folded["total"]
        assert (tables["verdicts"], tables["schedules"]) == (
            folded["verdicts"],
            folded["schedules"],
        )
        total += tables["total"]
    assert total == len(load.written) == len(set(load.written))
