"""Gateway settings, read once from ``ASSAY_*`` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from assay.common.config import JobsClientSettings, NatsSettings, RateLimitSettings, TelemetrySettings, TokenSettings


class GatewaySettings(TelemetrySettings, TokenSettings, NatsSettings, RateLimitSettings, JobsClientSettings):
    """Where the gateway listens, which upstreams it calls and its HTTP policies (rate limits: the
    services' ``ASSAY_RATE_LIMIT_*``, checked first at the gateway: ``assay.gateway.rate_limit``)."""

    model_config = SettingsConfigDict(env_prefix="ASSAY_", frozen=True, extra="ignore")

    http_host: str = "0.0.0.0"
    """Interface the HTTP server binds to."""
    http_port: int = 8080
    """Port the HTTP server binds to."""
    gateway_processes: int = Field(default=1, ge=1, le=64)
    """Serving processes sharing the port, each with its own job view, rate limiter and /metrics
    port (``metrics_port`` + 0 … processes - 1). bench/README.md "The gateway's HTTP server" has
    the measurements behind the default."""
    http_keep_alive_seconds: int = Field(default=75, gt=0)
    """How long an idle keep-alive connection stays open. Longer than the usual 60 s idle timeout of
    load balancers and clients, so the gateway is never the side that closes a connection while the
    peer is already sending its next request on it (uvicorn's default is 5 s)."""
    metrics_port: int = 9464
    """Port of the Prometheus /metrics side server (-1 disables it)."""
    jobs_addr: str = "127.0.0.1:50051"
    """host:port of the jobs service."""
    ingest_addr: str = "127.0.0.1:50052"
    """host:port of the ingest service."""
    analysis_addr: str = "127.0.0.1:50053"
    """host:port of the analysis service."""
    cors_origins: str = ""
    """Comma-separated origins allowed by CORS; empty (the default) allows none."""
    max_upload_bytes: int = Field(default=100 * 1024 * 1024, gt=0)
    """Largest multipart upload the gateway forwards (ingest enforces its own caps as well)."""
    max_json_bytes: int = Field(default=2 * 1024 * 1024, gt=0)
    """Largest JSON request body; refused with 413 from its Content-Length or as soon as more
    arrives, never buffered whole (well under the services' 8 MiB gRPC message limit)."""
    upload_chunk_bytes: int = Field(default=64 * 1024, gt=0, le=4 * 1024 * 1024)
    """Largest chunk message sent to ingest while streaming an upload."""
    rpc_timeout_seconds: float = Field(default=30.0, gt=0)
    """Deadline of unary upstream calls."""
    readiness_timeout_seconds: float = Field(default=2.0, gt=0)
    """Deadline of each upstream health check behind /readyz."""
    sse_heartbeat_seconds: float = Field(default=15.0, gt=0)
    """Interval of SSE comment heartbeats while a watched job is quiet."""
    stream_ticket_secret: str = ""
    """Key material of stream tickets (``?ticket=`` on /v1/jobs/{id}/events); replicas must share
    it. Empty: a random key per process."""
    stream_ticket_seconds: int = Field(default=60, gt=0, le=3600)
    """How long a stream ticket may be used to (re)open the job's event stream."""
    log_level: str = "INFO"
    """Root log level."""
    nats_url: str = ""
    """NATS, whose job events keep the job view current; empty (the default) leaves the view off."""
    job_view_bytes: int = Field(default=64 * 1024 * 1024, ge=0)
    """Budget of the job view (``assay.gateway.job_view``): recent jobs' wire bytes or rendered JSON;
    0 turns it off (every status read is a GetJob)."""
    job_view_seconds: float = Field(default=2.0, ge=0)
    """Longest a job is served from the view since it was last updated (by an event, a CreateJob
    or a GetJob answer): bounds staleness should an event be lost. 0 turns the view off."""
    job_view_finished_seconds: float = Field(default=60.0, ge=0)
    """The same for a job in a terminal state, which only an admin's RetryJob changes again (never
    less than ``job_view_seconds``)."""

    @property
    def cors_origin_list(self) -> list[str]:
        """The configured CORS origins, without blanks."""
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]
