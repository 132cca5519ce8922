"""Driver errors become domain errors here, at the adapter, and nowhere else."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import asyncpg

from service.domain.errors import Unavailable

CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    # statement_timeout: an answer that would cost more than the bound is not given (503).
    asyncpg.exceptions.QueryCanceledError,
)


@contextlib.contextmanager
def translate_db_errors() -> Iterator[None]:
    try:
        yield
    except CONNECTION_ERRORS as e:
        raise Unavailable(f"the database cannot be reached: {type(e).__name__}") from e
