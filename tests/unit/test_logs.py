"""Log lines are JSON objects, one per record, tracebacks inside, with the request id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from service.observability.logs import REQUEST_ID, json_handler


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    logger = logging.getLogger("pledger.test-logs")
    handler = json_handler(stream)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_a_traceback_is_inside_its_one_json_line(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    token = REQUEST_ID.set("req-42")
    try:
        try:
            {}["missing"]  # noqa: B018
        except KeyError:
            logger.exception("the handler failed on %s", "GET /v1/x")
    finally:
        REQUEST_ID.reset(token)
    logger.info("after the request", extra={"status": 200})
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    failed, after = (json.loads(line) for line in lines)
    assert failed["message"] == "the handler failed on GET /v1/x"
    assert failed["level"] == "ERROR" and failed["logger"] == "pledger.test-logs"
    assert failed["request_id"] == "req-42"
    assert "Traceback" in failed["exc_info"] and "KeyError: 'missing'" in failed["exc_info"]
    assert after["request_id"] is None and after["status"] == 200 and "time" in after
