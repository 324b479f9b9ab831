"""The jobs service's settings."""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import SettingsConfigDict

from assay.common.config import CommonSettings, DatabaseSettings, NatsSettings
from assay.common.retention import Retention
from assay.common.tenant_values import PerTenant
from assay.jobs.fair_share import Policy, parse_policy
from assay.jobs.quotas import Quotas
from assay.jobs.webhook_config import WebhookSettings


class JobsSettings(CommonSettings, DatabaseSettings, NatsSettings, WebhookSettings):
    """Everything the jobs service reads from ``ASSAY_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="ASSAY_", frozen=True, extra="ignore")

    grpc_port: int = 50051
    """Port of JobService and JobExecutionService."""
    jobs_processes: int = Field(default=1, ge=1)
    """Serving processes sharing ``grpc_port`` (``SO_REUSEPORT``) under one supervising parent, each
    with its own metrics port (``metrics_port`` + its index); each connection is served by one of
    them. One per core a pod is given; in Kubernetes replicas are the first way to scale."""
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
    dispatch_backlog: int = Field(default=2, ge=1)
    """Fewest work messages per analyzer the dispatcher lets wait in the stream not yet started; the
    rest are held and dispatched by fair share across tenants as places free (``fair_share``)."""
    dispatch_backlog_per_running: float = Field(default=2.0, ge=0)
    """More may wait while more run: up to this many per running job of the analyzer (so the
    backlog follows the fleet's slots, and a newcomer waits behind about one round of them)."""
    dispatch_at_create: bool = True
    """Write a new job's work message in its CreateJob transaction when a dispatch round would send it
    at once anyway: nothing of its analyzer held, room in the analyzer's backlog, its tenant under its
    limits (``dispatch_at_create``); otherwise, or when a round is running, it is held as before."""
    dispatch_poll_seconds: float = Field(default=1.0, gt=0)
    """Longest a dispatch round waits without a notification (a retry delay ending wakes none)."""
    tenant_weights: str = ""
    """``tenant=W,…``: a tenant's weight in the fair share (``*``: every other tenant; default 1)."""
    tenant_concurrency: str = ""
    """``tenant=N,tenant/analyzer=N,…``: most jobs of a tenant (of an analyzer) in flight at once."""
    quota_jobs_per_day: str = ""
    """``tenant=N,…``: most jobs a tenant may create per day (UTC); ``*`` for every other tenant."""
    quota_max_queued: str = ""
    """``tenant=N,…``: most jobs of a tenant waiting or queued at once; ``*`` for every other tenant."""
    create_batch_max: int = Field(default=64, ge=0)
    """Most CreateJob calls inserted together (group commit, ``group_create``); 0 creates each job
    in a transaction of its own."""
    create_batch_concurrency: int = Field(default=2, ge=1)
    """Batches of CreateJob calls written at once; calls arriving meanwhile wait for the next batch."""
    create_batch_wait_seconds: float = Field(default=0.0, ge=0, le=0.1)
    """How long a new batch waits for more calls before it is written (0: one turn of the event loop)."""
    job_cache_seconds: float = 2.0
    """Longest a cached job is served before it is read again; bounds staleness if another
    replica's event is missed (this replica's own changes are never stale). 0 turns it off."""
    job_cache_finished_seconds: float = Field(default=60.0, ge=0)
    """The same for a job in a terminal state, which only an admin's RetryJob changes again (never
    less than ``job_cache_seconds``): status reads of finished jobs stay answered from memory."""

    retention_days: str = ""
    """``tenant=D,tenant/analyzer=D,…`` (``*``: every other tenant): days a finished job is kept with its
    inputs, result and artifacts (``assay.common.retention``); empty keeps everything."""
    retention_sweep_seconds: float = Field(default=3600.0, gt=0)
    """How often the retention sweep runs (one replica at a time, by an advisory lock)."""
    retention_batch: int = Field(default=200, ge=1, le=10000)
    """Jobs the sweep deletes per statement batch."""

    @field_validator("retention_days")
    @classmethod
    def _retention_parses(cls, value: str) -> str:
        Retention.parse(value)
        return value

    def retention(self) -> Retention:
        """How long each tenant's finished jobs are kept."""
        return Retention.parse(self.retention_days)

    @field_validator("tenant_concurrency")
    @classmethod
    def _concurrency_parses(cls, value: str) -> str:
        parse_policy("", value)
        return value

    @field_validator("tenant_weights")
    @classmethod
    def _weights_parse(cls, value: str) -> str:
        parse_policy(value, "")
        return value

    @field_validator("quota_jobs_per_day", "quota_max_queued")
    @classmethod
    def _quota_parses(cls, value: str, info: ValidationInfo) -> str:
        PerTenant.parse(value, f"ASSAY_{(info.field_name or '').upper()}")
        return value

    def quotas(self) -> Quotas:
        """The per-tenant job quotas CreateJob and CreatePipeline enforce."""
        return Quotas(PerTenant.parse(self.quota_jobs_per_day, "ASSAY_QUOTA_JOBS_PER_DAY"),
                      PerTenant.parse(self.quota_max_queued, "ASSAY_QUOTA_MAX_QUEUED"))

    def fair_share(self) -> Policy:
        """The tenant weights and concurrency limits the dispatcher applies."""
        return parse_policy(self.tenant_weights, self.tenant_concurrency)
