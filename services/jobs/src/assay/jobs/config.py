"""The jobs service's settings."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from assay.common.config import CommonSettings, DatabaseSettings, NatsSettings


class JobsSettings(CommonSettings, DatabaseSettings, NatsSettings):
    """Everything the jobs service reads from ``ASSAY_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="ASSAY_", frozen=True, extra="ignore")

    grpc_port: int = 50051
    """Port of JobService and JobExecutionService."""
    ingest_addr: str = "127.0.0.1:50052"
    """Address of the ingest service, asked whether input files exist."""
    ingest_timeout_seconds: float = 10.0
    """Deadline of the BatchGetFiles call that checks a new job's input files."""
    lease_seconds: float = 30.0
    """How long a StartJob or Heartbeat keeps a running attempt's lease."""
    default_max_attempts: int = 3
    """Attempts a job gets when CreateJob does not say."""
    retry_base_seconds: float = 2.0
    """First retry delay; doubles each attempt, with jitter."""
    retry_max_seconds: float = 300.0
    """Upper bound of the retry delay."""
    reaper_interval_seconds: float = 5.0
    """How often expired leases are looked for."""
    outbox_batch_size: int = 256
    """Outbox rows the relay publishes per round trip."""
    outbox_poll_seconds: float = 1.0
    """Fallback poll interval of the relay when no notification arrives."""
    max_result_bytes: int = 4 * 1024 * 1024
    """Largest serialized result or partial result a job may store."""
    job_cache_bytes: int = Field(default=64 * 1024 * 1024, ge=0)
    """Bytes of recent jobs (their wire form, results included) GetJob keeps in memory; the least
    recently used are dropped past it (0 turns the cache off)."""
    job_cache_seconds: float = 2.0
    """Longest a cached job is served before it is read again; bounds staleness if another
    replica's event is missed (this replica's own changes are never stale). 0 turns it off."""
    job_cache_finished_seconds: float = Field(default=60.0, ge=0)
    """The same for a job in a terminal state, which only an admin's RetryJob changes again (never
    less than ``job_cache_seconds``): status reads of finished jobs stay answered from memory."""
