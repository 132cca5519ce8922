"""Settings, built once from the environment at start-up; the only module that reads os.environ."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """The checkout's .data/ when running from one (wherever the command is run from), else the
    user's data directory: never the caller's working directory, which would start a second,
    empty database when the command is run from elsewhere."""
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "pyproject.toml").is_file() and (checkout / "schema").is_dir():
        return checkout / ".data"
    return Path(platformdirs.user_data_dir("pledger"))


class Settings(BaseSettings):
    """Every knob of the service. Environment variables are PLEDGER_<NAME>, except DATABASE_URL."""

    model_config = SettingsConfigDict(env_prefix="PLEDGER_", frozen=True, extra="ignore")

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "PLEDGER_DATABASE_URL")
    )
    data_dir: Path = Field(default_factory=default_data_dir)
    # Reads that tolerate lag (lists, compliance) go here, e.g. to a streaming replica.
    read_database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    db_role: str = "pledger_app"
    pool_min_size: int = Field(default=1, ge=0)
    pool_max_size: int = Field(default=10, ge=1)
    db_timeout_seconds: float = Field(default=5.0, gt=0)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # A request body must arrive within this many seconds, or the answer is 408 (docs/security.md).
    body_timeout_seconds: float = Field(default=10.0, gt=0)
    # Token bucket per client (principal, else address): this many requests a second, bursts of
    # rate_limit_burst; 0 turns it off. Past it: 429 with Retry-After (docs/security.md).
    rate_limit_per_second: float = Field(default=100.0, ge=0)
    rate_limit_burst: int = Field(default=1000, ge=1)
    # No statement of the service runs longer; past it the request is 503 (docs/security.md).
    statement_timeout_seconds: float = Field(default=15.0, gt=0)
    page_limit_default: int = Field(default=100, ge=1)
    page_limit_max: int = Field(default=1000, ge=1)
    append_batch_max: int = Field(default=500, ge=1)
    append_writers: int = Field(default=1, ge=1, le=8)
    poll_interval_seconds: float = Field(default=1.0, gt=0)
    sse_heartbeat_seconds: float = Field(default=15.0, gt=0)
    # Live streams (docs/security.md): beyond a cap a new one is 503 with Retry-After; a client
    # that takes nothing for the stall timeout is dropped and resumes with Last-Event-ID.
    sse_max_streams: int = Field(default=1000, ge=1)
    sse_max_streams_per_client: int = Field(default=100, ge=1)
    sse_stall_timeout_seconds: float = Field(default=30.0, gt=0)
    shutdown_timeout_seconds: float = Field(default=10.0, gt=0)
    # Run the projector and the ledger's tree builder inside `serve`; off for API-only replicas.
    workers: bool = True
    log_level: str = "INFO"
    # Origins whose scripts may call the API, comma-separated, or "*"; empty: no CORS at all.
    cors_origins: str = ""
    access_log: bool = True
    # The verifiable ledger (docs/ledger.md). No signing key: the tree and proofs are served,
    # no checkpoints are signed. A key that is set must be readable, or start-up fails.
    signing_key: Path | None = None
    ledger_origin: str | None = None  # the checkpoints' origin line; default: the key's name
    checkpoint_every_events: int = Field(default=1000, ge=1)
    checkpoint_every_seconds: float = Field(default=10.0, gt=0)
    # A ledger alarm still raised is logged at CRITICAL again this often (docs/ledger.md).
    alarm_repeat_seconds: float = Field(default=60.0, gt=0)
    ledger_batch_size: int = Field(default=2000, ge=1)
    # Events per projector transaction (docs/projections.md).
    projector_batch_size: int = Field(default=2000, ge=1)
    # Canonical bytes the projector keeps cached; more is faster catch-up on a large backlog,
    # at about that much more memory (docs/projections.md).
    projector_cache_mb: int = Field(default=24, ge=1)
    # Reads are public (an accountability ledger); "token" requires any valid bearer token.
    reads: Literal["public", "token"] = "public"
    # Token caches reload on NOTIFY; this is the fallback when a notification is lost.
    auth_refresh_seconds: float = Field(default=30.0, gt=0)
    # Under steady writes the projector waits this long to gather them before folding again.
    projector_linger_seconds: float = Field(default=0.1, ge=0)
    # The relay to NATS JetStream (docs/operations.md): off unless PLEDGER_NATS_URL is set.
    nats_url: str | None = None
    nats_stream: str = Field(default="PLEDGER_EVENTS", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    nats_subject_prefix: str = Field(
        default="pledger.events", pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$"
    )
    # JetStream drops a re-published event id seen within this window; the relay also resumes
    # after the stream's last message, so a longer outage does not double either.
    nats_duplicate_window_seconds: float = Field(default=600.0, gt=0)
    relay_batch_size: int = Field(default=500, ge=1, le=10_000)
    relay_ack_timeout_seconds: float = Field(default=10.0, gt=0)
    # Webhooks (docs/operations.md): a delivery is retried for at least 24 h; an endpoint whose
    # every attempt failed for disable_after hours is disabled.
    webhook_retry_hours: float = Field(default=24.0, ge=24)
    webhook_disable_after_hours: float = Field(default=120.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    webhook_concurrency: int = Field(default=32, ge=1, le=1000)


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the environment variable."""


def load_settings(**overrides: object) -> Settings:
    """Build Settings from the environment, turning pydantic's report into one line per variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as e:
        problems = []
        for err in e.errors():
            name = str(err["loc"][0]) if err["loc"] else "?"
            var = "DATABASE_URL" if name == "database_url" else f"PLEDGER_{name.upper()}"
            problems.append(f"{var}: {err['msg']}")
        raise ConfigError("; ".join(problems)) from None
