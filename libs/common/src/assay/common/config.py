"""Settings shared by every service, read once from ``ASSAY_*`` environment variables."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class TelemetrySettings(BaseSettings):
    """Where spans go, read by ``assay.common.telemetry.setup_telemetry`` in every process."""

    model_config = SettingsConfigDict(env_prefix="ASSAY_", frozen=True, extra="ignore")

    environment: str = "development"
    """The ``deployment.environment.name`` resource attribute."""
    trace_file: str = ""
    """Without an OTLP endpoint: append spans as JSON lines to this file (``assay dev`` sets it)."""
    otlp_endpoint: str = Field(default="", validation_alias=AliasChoices(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"))
    """The OpenTelemetry SDK's own variable: when set, spans go over OTLP/gRPC (the exporter reads
    it and the other ``OTEL_*`` variables itself)."""


class TokenSettings(BaseSettings):
    """The keys and claims of tenant bearer tokens (services, and the gateway's job view)."""

    model_config = SettingsConfigDict(env_prefix="ASSAY_", frozen=True, extra="ignore")

    jwt_hs256_secret: str = ""
    """Shared secret for HS256 tokens (development and single-cluster setups)."""
    jwt_public_key_file: str = ""
    """PEM file with the RS256 public key used to verify tokens (instead of the secret)."""
    jwt_private_key_file: str = ""
    """PEM file with the RS256 private key, only where a service must mint its own tokens."""
    jwt_issuer: str = "assay"
    """Expected ``iss`` claim."""
    jwt_audience: str = "assay"
    """Expected ``aud`` claim."""


class RateLimitSettings(BaseSettings):
    """Rate limits of tenant calls (``assay.common.rate_limits``), read by every service and the gateway."""

    model_config = SettingsConfigDict(env_prefix="ASSAY_", frozen=True, extra="ignore")

    rate_limit_tenant: str = ""
    """``tenant=requests per second,…`` (``*``: every other tenant): each process's limit of a tenant's
    calls (``assay.common.rate_limits``); empty: no per-tenant limit."""
    rate_limit_token: float = Field(default=0.0, ge=0)
    """Requests per second one token may make to each process; 0: no per-token limit."""
    rate_limit_burst_seconds: float = Field(default=2.0, gt=0)
    """A bucket holds this many seconds of its rate: the burst allowed after a quiet spell."""


class CommonSettings(TelemetrySettings, TokenSettings, RateLimitSettings):
    """Settings every service reads; each service subclasses it with its own fields."""

    model_config = SettingsConfigDict(env_prefix="ASSAY_", frozen=True, extra="ignore")

    grpc_host: str = "0.0.0.0"
    """Interface the gRPC server binds to."""
    grpc_port: int = 50051
    """Port the gRPC server binds to (0 picks a free one)."""
    metrics_port: int = 9464
    """Port of the Prometheus /metrics side server (0 picks a free one, -1 disables it)."""
    serving_process: int = Field(default=0, ge=0)
    """This process's index among the service's serving processes on one port (set by
    ``assay.common.serving_processes`` in each; 0 for a single process). A service may keep
    per-node background work to process 0."""
    grpc_reuse_port: bool = False
    """Bind the gRPC port with ``SO_REUSEPORT``, sharing it with the service's other serving processes
    (``assay.common.serving_processes`` sets it in each); off otherwise, so that a second server
    started on a port in use fails instead of silently taking part of its connections."""
    log_level: str = "INFO"
    """Root log level."""
    grpc_reflection: bool = True
    """Serve gRPC server reflection (answered without a token: it lists the services and their
    schemas); the production overlay turns it off."""
    grpc_max_pending_calls: int = Field(default=10_000, ge=1)
    """Calls received but not yet taken up by the server's event loop (a burst) that gRPC queues; past
    this, gRPC cancels new calls (the client sees CANCELLED). gRPC's own default refuses at random from
    1,000 pending calls on, which cancelled bursts of 2,000 simultaneous CreateJob calls."""
    shutdown_grace_seconds: float = 20.0
    """How long in-flight RPCs may run after SIGTERM before they are cancelled."""
    refused_stream_drain_bytes: int = Field(default=64 * 1024 * 1024, ge=0)
    """How much more of a refused client stream (an upload) is read and dropped before the refusal
    is sent, so a client still writing gets the real status instead of a failed write
    (``assay.common.streams``); a client sending more than this, or stalling, is cut off."""
    service_token: str = ""
    """The worker credential analysis presents to jobs and ingest; minted from ASSAY_WORKER_SECRET
    when empty."""
    worker_secret: str = ""
    """HS256 key of the analysis workers' service credential (audience ``assay-worker``): analysis
    mints its credential with it, jobs and ingest verify worker RPCs with it. Must differ from the
    tenant-token key, so nothing that mints tenant tokens can mint a worker credential."""
    job_capability_secret: str = ""
    """HS256 key of job capabilities: jobs signs one into every work message, jobs and ingest verify
    the one a worker presents (it binds the job and its tenant). Set on jobs and ingest only."""
    job_capability_seconds: int = Field(default=7 * 86400, ge=1)
    """Lifetime of a job capability. A work message unstarted for longer still runs: StartJob renews an
    authentic expired capability (``assay.common.capabilities``); a running attempt must finish within it."""


class DatabaseSettings(BaseSettings):
    """PostgreSQL connection settings."""

    model_config = SettingsConfigDict(env_prefix="ASSAY_", frozen=True, extra="ignore")

    database_url: str = "postgresql+psycopg://assay:assay@127.0.0.1:5432/assay"
    """SQLAlchemy URL of the PostgreSQL database (driver psycopg)."""
    database_pool_size: int = 10
    """Connections kept open in the pool."""
    database_max_overflow: int = 10
    """Extra connections allowed above the pool size under load."""
    database_probe_seconds: float = Field(default=2.0, gt=0)
    """Interval of the readiness probe (``SELECT 1``): gRPC health is NOT_SERVING while it fails."""
    database_probe_timeout_seconds: float = Field(default=1.0, gt=0)
    """How long one readiness probe may take before the database counts as unreachable."""
    database_statement_spans: bool = False
    """A client span per SQL statement (``UPDATE jobs.jobs``); off by default: each RPC and each
    transition keeps its own span, and statement spans cost more CPU than the statements' own
    client-side work."""


class JobsClientSettings(BaseSettings):
    """How a hot-path client of the jobs service (the gateway, the analysis worker) connects to it."""

    model_config = SettingsConfigDict(env_prefix="ASSAY_", frozen=True, extra="ignore")

    jobs_connections: int = Field(default=1, ge=1, le=64)
    """Connections a client of the jobs service (the gateway, the analysis worker) opens to
    it, its calls sent over them in turn (``assay.common.spread_channel``): a jobs service of several
    processes on one port (``ASSAY_JOBS_PROCESSES``), or several pods behind one Service address, is
    handed connections, not calls, so one connection keeps one of them busy."""


class NatsSettings(BaseSettings):
    """NATS JetStream connection settings."""

    model_config = SettingsConfigDict(env_prefix="ASSAY_", frozen=True, extra="ignore")

    nats_url: str = "nats://127.0.0.1:4222"
    """Comma-separated NATS server URLs."""
    nats_stream_replicas: int = Field(default=1, ge=1, le=5)
    """Replicas of the JetStream streams Assay provisions (3 in a clustered deployment)."""
