"""The JetStream relay on a real nats-server: every event once, in log order, as CloudEvents."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import nats
import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_binary
from cloudevents.core.formats.json import JSONFormat

from service.log.records import leaf_hash
from tests.nats_support import Destination, stream_view
from tests.relay_support import SOURCE, RelayEnv, relay_env
from tests.support import wait_for


@pytest.fixture
async def env(server_dsn: str, destination: Destination) -> AsyncIterator[RelayEnv]:
    async with relay_env(server_dsn, destination) as env:
        yield env


async def _view_ids(env: RelayEnv) -> list[str]:
    return [m.headers["ce-id"] for m in await stream_view(env.dest.url, env.dest.stream)]


async def test_every_event_reaches_the_stream_once_in_log_order(env: RelayEnv) -> None:
    await env.append(3, 4, kind="party")
    env.start()
    head = await env.append(5, 7)  # some before the relay started, some while it runs
    await env.wait_relayed(head)
    assert await _view_ids(env) == await env.log_ids()
    seq = await env.pool.fetchval("SELECT stream_seq FROM relay_checkpoints")
    assert seq == head


async def test_messages_are_binary_mode_cloudevents_over_the_canonical_bytes(
    env: RelayEnv,
) -> None:
    env.start()
    await env.wait_relayed(await env.append(1, 3))
    messages = await stream_view(env.dest.url, env.dest.stream)
    rows = await env.pool.fetch("SELECT * FROM events ORDER BY position")
    assert len(messages) == len(rows) == 3
    for msg, row in zip(messages, rows, strict=True):
        assert msg.data == bytes(row["canonical"])  # so the leaf hash can be recomputed
        assert leaf_hash(msg.data).hex() == leaf_hash(bytes(row["canonical"])).hex()
        assert msg.headers["Nats-Msg-Id"] == str(row["event_id"])
        kind = row["stream_id"].split("-")[0]
        assert msg.subject == f"{env.dest.prefix}.{kind}.{row['type']}"
        # The CloudEvents SDK reads it as a valid 1.0 event (it validates every attribute).
        event = from_binary(HTTPMessage(headers=dict(msg.headers), body=msg.data), JSONFormat())
        assert event.get_id() == str(row["event_id"])
        assert event.get_source() == SOURCE
        assert event.get_type() == f"org.pledger.{row['type']}"
        assert event.get_subject() == row["stream_id"]
        assert event.get_time() == row["occurred_at"]
        assert event.get_datacontenttype() == "application/json"
        assert event.get_extension("position") == str(row["position"])
        assert event.get_data() == json.loads(row["canonical"])


async def test_a_checkpoint_behind_the_stream_publishes_nothing_twice(env: RelayEnv) -> None:
    """A relay killed after JetStream's ack and before its checkpoint write resumes after the
    stream's last message, not after its checkpoint."""
    runner = env.start()
    await env.wait_relayed(await env.append(4, 5))
    env.tasks.pop().cancel()
    await wait_for(lambda: not runner.leading.is_set())
    await env.pool.execute("UPDATE relay_checkpoints SET position = 3, stream_seq = 3")
    env.start()
    head = await env.append(2, 5)
    await env.wait_relayed(head)
    assert await _view_ids(env) == await env.log_ids()


async def test_only_one_relay_leads_and_a_standby_takes_over(env: RelayEnv) -> None:
    first, second = env.start(), env.start()
    await wait_for(lambda: first.leading.is_set() or second.leading.is_set())
    leader, standby = (first, second) if first.leading.is_set() else (second, first)
    await env.wait_relayed(await env.append(2, 5))
    assert not standby.leading.is_set()
    env.tasks[[first, second].index(leader)].cancel()
    await wait_for(standby.leading.is_set)
    await env.wait_relayed(await env.append(2, 5))
    assert await _view_ids(env) == await env.log_ids()


async def test_a_stream_holding_another_logs_events_is_refused(
    env: RelayEnv, server_dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    env.start()
    await env.wait_relayed(await env.append(1, 2))
    async with relay_env(server_dsn, env.dest) as other:  # another database, the same stream
        await other.append(1, 3)
        with caplog.at_level(logging.WARNING, logger="service.relay.runner"):
            other.start()
            await wait_for(lambda: "which this log does not hold" in caplog.text)
        assert await other.checkpoint() == 0
    assert len(await _view_ids(env)) == 2


async def test_the_stream_is_created_on_file_storage_with_a_duplicate_window(
    env: RelayEnv,
) -> None:
    env.start(nats_duplicate_window_seconds=90)
    await env.wait_relayed(await env.append(1, 1))
    nc = await nats.connect(env.dest.url)
    try:
        config = (await nc.jetstream().stream_info(env.dest.stream)).config
    finally:
        await nc.close()
    assert config.subjects == [f"{env.dest.prefix}.>"]
    assert config.storage == "file"
    assert config.duplicate_window == 90
