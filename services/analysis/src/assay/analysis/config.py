"""The analysis worker's settings, read from ``ASSAY_*`` environment variables."""

from __future__ import annotations

import os
import socket

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from assay.common.config import CommonSettings, DatabaseSettings, JobsClientSettings, NatsSettings
from assay.common.storage import StorageSettings


class AnalysisSettings(CommonSettings, DatabaseSettings, NatsSettings, StorageSettings, JobsClientSettings):
    """Everything the analysis worker reads; durations are in seconds."""

    model_config = SettingsConfigDict(env_prefix="ASSAY_", frozen=True, extra="ignore")

    grpc_port: int = 50053
    """Port of AnalysisService."""
    jobs_addr: str = "127.0.0.1:50051"
    """Address of the jobs service (JobExecutionService)."""
    ingest_addr: str = "127.0.0.1:50052"
    """Address of ingest (WorkerFileService); empty disables file inputs and artifacts."""
    worker_id: str = Field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    """Identifies this worker process in StartJob, for diagnostics."""
    worker_slot: str = ""
    """A name only one live worker process holds at a time (``assay dev`` gives its analysis process one:
    it starts a new process only once the old one has exited). A process starting in a slot has jobs
    release at once the attempts its predecessors in the slot left running (ReleaseWorkerAttempts)
    instead of after their leases. Empty: off. A name several live processes share (a hostname, a
    Deployment's pod template) would have their live attempts re-run: never set it to one."""
    worker_concurrency: int = Field(default=2, ge=1, le=256)
    """Attempts this process runs at once (one child process each)."""
    worker_small_concurrency: int = Field(default=32, ge=0, le=1024)
    """Small attempts (inline text of an analyzer whose spec says ``batch_inline_text``) this process
    runs at once besides ``worker_concurrency``: fetched by a fetch loop of their own and run
    several per exchange with a warm child (``small_batches``); 0: they take the ordinary slots."""
    worker_small_batch_size: int = Field(default=32, ge=1, le=1024)
    """Most small attempts one child runs in one exchange."""
    worker_small_window_seconds: float = Field(default=0.1, ge=0, le=60)
    """Work given to a child at a time, in seconds at the small attempts' measured pace: a batch holds
    at most this many seconds of attempts (at least one) and the small fetch loop holds at most two
    such batches per child (within the two settings above), so an attempt that arrives — another
    tenant's, which the dispatcher sent ahead — waits behind about this much work, whether the
    attempts take 2 ms or 200 ms each. 0: batches and slots always at their maximum."""
    worker_small_spare_children: int = Field(default=1, ge=0, le=8)
    """Child processes beyond ``worker_concurrency`` for the small attempts of tenants with nothing running in
    this worker (kept warm: started once a small attempt has run, rehearsing it), and as many fetches (plus
    one) of the top-priority subject (where the dispatcher sends a tenant's job ahead of the backlog)
    kept beside the small fetch loop's slots: such an attempt starts at once, sharing the cores, instead of
    waiting behind the running ones (``fair_queue``). Costs one more analyzer process's memory per spare.
    0: no spare (such an attempt is still fetched at once and takes the next free child, before the
    attempts fetched earlier: the queue is in fair-share order)."""
    worker_batch_size: int = Field(default=64, ge=0, le=256)
    """Most StartJob / CompleteJob calls of concurrent attempts sent to jobs together, as one
    StartJobs / CompleteJobs call (0: each on its own)."""
    worker_analyzers: str = ""
    """Comma-separated analyzer names to consume; empty means every registered analyzer."""
    worker_plugins: str = ""
    """Comma-separated ``module:attribute`` analyzers added to (or replacing) the built-in ones."""
    worker_heartbeat_seconds: float = Field(default=5.0, gt=0)
    """Interval of ``in_progress()`` and jobs.Heartbeat while an attempt runs."""
    worker_fetch_timeout_seconds: float = Field(default=2.0, gt=0)
    """Longest idle wait before looking for work again (redeliveries ring no doorbell); bounds a pull."""
    worker_priority_patience: int = Field(default=8, ge=1, le=1000)
    """Starts of other work a waiting priority level may be passed over before it is served first."""
    worker_cancel_grace_seconds: float = Field(default=2.0, gt=0)
    """How long a cancelled or timed-out analyzer may take to stop before its process is killed."""
    worker_memory_limit_bytes: int = Field(default=2 * 1024 * 1024 * 1024, ge=0)
    """Address-space limit (RLIMIT_AS) of each analyzer child process; an input needing more fails
    INPUT_TOO_COMPLEX (not retried). 0: no limit."""
    worker_time_limit_seconds: float = Field(default=0.0, ge=0)
    """Overrides every analyzer's own time limit when > 0 (tests, emergencies)."""
    worker_rpc_timeout_seconds: float = Field(default=10.0, gt=0)
    """Deadline of each call to jobs and ingest."""
    worker_dependency_wait_seconds: float = Field(default=300.0, ge=0)
    """How long an attempt waits (lease held, backoff with jitter) for an unreachable ingest or S3
    before the failure spends one of the job's attempts (INPUT_UNAVAILABLE / ARTIFACT_UPLOAD_FAILED)."""
    worker_report_retry_seconds: float = Field(default=300.0, ge=0)
    """How long CompleteJob / FailJob are retried while jobs (or its database) is unreachable."""
    worker_backoff_base_seconds: float = Field(default=0.2, gt=0)
    """First retry delay while a dependency is unreachable; doubles per retry, full jitter."""
    worker_backoff_max_seconds: float = Field(default=5.0, gt=0)
    """Cap of that retry delay."""
    worker_breaker_threshold: int = Field(default=3, ge=1)
    """Consecutive unreachable calls that open a dependency's circuit breaker (no new work fetched)."""
    worker_breaker_cooldown_seconds: float = Field(default=5.0, gt=0)
    """How long an open breaker pauses fetching before one more try is let through."""
    index_min_similarity: float = Field(default=0.3, ge=-1, le=1)
    """AskQuestion answers "no answer" when no passage's cosine similarity to the question reaches this
    (calibrated on bench/eval_index.py's questions)."""
    llm_base_url: str = ""
    """OpenAI-compatible endpoint (``…/v1``) that writes AskQuestion's ``generated_answer`` from the
    retrieved passages; empty: answers stay extractive."""
    llm_model: str = ""
    """Model name sent to that endpoint."""
    llm_api_key: str = ""
    """Bearer key of that endpoint."""
    llm_timeout_seconds: float = Field(default=20.0, gt=0)
    """How long a generation may take before the extractive answer is returned alone."""
    index_ef_search: int = Field(default=64, ge=10, le=1000)
    """pgvector's ``hnsw.ef_search`` for AskQuestion's vector search (recall vs latency; at least the
    50 candidates are asked for). 64: at 100,721 chunks the development questions' recall@5 and MRR
    were those of 100 with ~12% less PostgreSQL CPU per ask (bench/eval_index.py)."""
    index_question_cache_bytes: int = Field(default=8 * 1024 * 1024, ge=0)
    """AskQuestion keeps the embeddings of recent questions up to this many bytes (~4 KB each; 0: off)."""
    consumer_ack_wait_seconds: float = Field(default=30.0, gt=0)
    """AckWait (and first BackOff step): redelivery after a worker went silent this long."""
    consumer_backoff_max_seconds: float = Field(default=300.0, gt=0)
    """Cap of the growing redelivery delays after repeated silent deaths."""
    consumer_max_deliver: int = Field(default=10, ge=2)
    """Deliveries of one message before JetStream gives up and the job is dead-lettered."""
    consumer_max_ack_pending: int = Field(default=64, ge=1)
    """Unacknowledged messages per analyzer across ALL workers (incl. delayed naks)."""
    consumer_stats_seconds: float = Field(default=15.0, gt=0)
    """How often the consumer's pending counts are exported as metrics."""

    @model_validator(mode="after")
    def _heartbeat_within_ack_wait(self) -> AnalysisSettings:
        if self.worker_heartbeat_seconds * 2 > self.consumer_ack_wait_seconds:
            raise ValueError("ASSAY_WORKER_HEARTBEAT_SECONDS must be at most half of ASSAY_CONSUMER_ACK_WAIT_SECONDS")
        return self

    def analyzer_filter(self) -> set[str] | None:
        """The analyzer names to consume, or None for all."""
        names = {n.strip() for n in self.worker_analyzers.split(",") if n.strip()}
        return names or None

    def plugin_refs(self) -> list[str]:
        """Extra ``module:attribute`` analyzer references."""
        return [r.strip() for r in self.worker_plugins.split(",") if r.strip()]

    def backoff(self) -> list[float]:
        """Redelivery delays after ack timeouts: AckWait first (BackOff replaces it), then doubling."""
        steps = min(5, self.consumer_max_deliver - 1)
        return [min(self.consumer_backoff_max_seconds, self.consumer_ack_wait_seconds * 2**i) for i in range(steps)]
