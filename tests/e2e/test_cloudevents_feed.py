"""The HTTP feed as CloudEvents: a batch by content negotiation, structured events over SSE,
each read back by the CloudEvents SDK (which validates every attribute)."""

from __future__ import annotations

import json

import pytest
from cloudevents.core.formats.json import JSONFormat

from service.app import create_app
from tests.e2e.test_log_api import read_sse
from tests.support import new_event, unique

BATCH = "application/cloudevents-batch+json"
ORIGIN = "ledger.feed.test"


@pytest.fixture
async def client(aiohttp_client, settings, pg_store):
    app = create_app(settings.model_copy(update={"ledger_origin": ORIGIN}), store=pg_store)
    return await aiohttp_client(app)


def _read(document: dict) -> object:
    return JSONFormat().read(None, json.dumps(document).encode())


async def test_the_log_as_a_cloudevents_batch(client, pg_store) -> None:
    head = await pg_store.head_position()
    stream = unique("feed")
    result = await pg_store.append(stream, [new_event(n=i) for i in range(3)], "no_stream")
    resp = await client.get(f"/v1/events?after={head}&limit=2", headers={"Accept": BATCH})
    assert resp.status == 200
    assert resp.content_type == BATCH
    batch = await resp.json()
    assert [e["position"] for e in batch] == [str(head + 1), str(head + 2)]
    for document, recorded in zip(batch, result.events, strict=False):
        event = _read(document)
        assert event.get_id() == str(recorded.event_id)
        assert event.get_source() == ORIGIN
        assert event.get_type() == "org.pledger.thing_happened"
        assert event.get_subject() == stream
        assert event.get_time() == recorded.occurred_at
        assert event.get_extension("recordedat") == document["data"]["recorded_at"]
        assert event.get_data() == json.loads(recorded.canonical)
    link = resp.headers["Link"]  # paging works the same: the cursor is the last position
    url = link[link.index("<") + 1 : link.index(">")]
    rest = await (await client.get(url, headers={"Accept": BATCH})).json()
    assert [e["id"] for e in rest] == [str(result.events[2].event_id)]


async def test_plain_json_unless_the_batch_is_asked_for_by_name(client, pg_store) -> None:
    head = await pg_store.head_position()
    await pg_store.append(unique(), [new_event()], "no_stream")
    for accept in ("*/*", f"{BATCH};q=0", "application/json"):
        resp = await client.get(f"/v1/events?after={head}", headers={"Accept": accept})
        assert resp.content_type == "application/json", accept
        assert "events" in await resp.json()


async def test_live_events_as_structured_cloudevents(client, pg_store) -> None:
    head = await pg_store.head_position()
    stream = unique("live")
    await pg_store.append(stream, [new_event(n=i) for i in range(2)], "no_stream")
    by_query = await client.get(f"/v1/events/live?after={head}&format=cloudevents")
    by_accept = await client.get(
        f"/v1/events/live?after={head}",
        headers={"Accept": "text/event-stream, application/cloudevents+json"},
    )
    for resp in (by_query, by_accept):
        frames = await read_sse(resp, 2)
        resp.close()
        assert [int(f["id"]) for f in frames] == [head + 1, head + 2]
        events = [_read(json.loads(f["data"])) for f in frames]
        assert [e.get_extension("position") for e in events] == [str(head + 1), str(head + 2)]
        assert {e.get_subject() for e in events} == {stream}


async def test_an_unknown_live_format_is_400(client) -> None:
    resp = await client.get("/v1/events/live?format=xml")
    assert resp.status == 400
    assert (await resp.json())["parameter"] == "format"


async def test_the_openapi_document_names_the_batch_media_type(client) -> None:
    document = await (await client.get("/v1/openapi.json")).json()
    content = document["paths"]["/v1/events"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", BATCH}
    assert content[BATCH]["schema"] == {"$ref": "#/components/schemas/CloudEventBatch"}
