"""A whole file-job stack for the worker tests: ingest + jobs + a private NATS + S3, and real workers.

``file_stack`` (module scope) runs ingest and jobs in-process on fresh databases, a fresh bucket
and a NATS server of its own (work subjects are named after analyzers, so a shared NATS would mix
other modules' sentiment work into these tests). Workers run the real analyzers (VADER) with
``ObjectStorageFiles`` (inputs read through ingest's WorkerFileService, artifacts registered
there), either in-process (``assay.analysis.server.start``) or as ``python -m assay.analysis`` subprocesses
(``spawn_worker``). Import the fixture with ``# noqa: F401`` and put ``# ruff: noqa: F811`` at the
top of the test module.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from harness import NatsServer, Postgres, S3Endpoint, eventually
from harness.jobs import SERVICE_KEYS, WORKER_KEYS, JobsService, fresh_database, start_jobs
from ingest_fixtures import IngestService, ingest_settings, start_ingest, stop_ingest, submit_requests

from assay.analysis import server as analysis_server
from assay.analysis.config import AnalysisSettings
from assay.analysis.consumer import work_sources
from assay.analysis.server import AnalysisWorker
from assay.common.migrations import upgrade
from assay.common.nats import WORK_STREAM, connect
from assay.common.storage import ensure_bucket
from assay.devstack.servers import stop_all
from assay.devstack.servers.service import AssayService
from assay.ingest.jobs_client import JobsClient
from assay.ingest.migrations import SCRIPT_LOCATION as INGEST_MIGRATIONS
from assay.jobs.config import JobsSettings
from assay.jobs.migrations import SCRIPT_LOCATION as JOBS_MIGRATIONS
from assay.v1 import ingest_service_pb2 as ing
from assay.v1 import job_pb2, sentiment_pb2
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job
MIB = 1024 * 1024
LEASE_SECONDS = 2.0
HEARTBEAT_SECONDS = 0.4
ACK_WAIT_SECONDS = 2.0

POSITIVE = "I love this, it is wonderful!"
NEGATIVE = "This is terrible, I hate it."
NEUTRAL = "The box is brown."
SENTENCES = (POSITIVE, NEGATIVE, NEUTRAL)
EXPECTED_LABELS = ("positive", "negative", "neutral")
PROTO_LABELS = (sentiment_pb2.SENTIMENT_LABEL_POSITIVE, sentiment_pb2.SENTIMENT_LABEL_NEGATIVE,
                sentiment_pb2.SENTIMENT_LABEL_NEUTRAL)


def reviews_csv(rows: int, text_column: str = "text") -> bytes:
    """``id,<text_column>`` with the three unambiguous sentences in turn (row i has SENTENCES[i % 3])."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", text_column])
    for i in range(rows):
        writer.writerow([i + 1, SENTENCES[i % 3]])
    return out.getvalue().encode()


def label_counts(rows: int) -> dict[int, int]:
    """The per-label counts ``reviews_csv(rows)`` must get from the default (learned) model."""
    counts = {label: len(range(i, rows, 3)) for i, label in enumerate(PROTO_LABELS)}
    return {**counts, sentiment_pb2.SENTIMENT_LABEL_MIXED: 0}


async def download(url: str) -> bytes:
    """The bytes behind a presigned download link (read in a thread: urllib blocks)."""
    def read() -> bytes:
        with urllib.request.urlopen(url, timeout=10) as response:
            return bytes(response.read())
    return await asyncio.to_thread(read)


def chunked(data: bytes, size: int = MIB) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


@dataclass
class FileStack:
    """Ingest and jobs wired together on a private NATS, and how to run workers against them."""

    nats: NatsServer
    ingest: IngestService
    s3: S3Endpoint
    spawned: list[AssayService] = field(default_factory=list)

    @property
    def jobs(self) -> JobsService:
        assert self.ingest.jobs is not None
        return self.ingest.jobs

    # -- workers ------------------------------------------------------------------------------

    def worker_settings(self, **overrides: Any) -> AnalysisSettings:
        values: dict[str, Any] = dict(
            nats_url=self.nats.url, jobs_addr=f"127.0.0.1:{self.jobs.server.port}",
            ingest_addr=self.ingest.address, s3_endpoint=self.s3.endpoint, s3_access_key=self.s3.access_key,
            s3_secret_key=self.s3.secret_key, s3_region=self.s3.region, s3_secure=self.s3.secure,
            s3_bucket=self.ingest.bucket, grpc_host="127.0.0.1", grpc_port=0, metrics_port=-1,
            **WORKER_KEYS, worker_analyzers="sentiment", worker_concurrency=1,
            worker_heartbeat_seconds=HEARTBEAT_SECONDS, worker_fetch_timeout_seconds=0.5,
            worker_cancel_grace_seconds=1.0, consumer_ack_wait_seconds=ACK_WAIT_SECONDS, consumer_max_deliver=4,
            consumer_backoff_max_seconds=4.0, consumer_stats_seconds=1.0, shutdown_grace_seconds=5.0,
        )
        values.update(overrides)
        return AnalysisSettings(**values)

    def worker_env(self, **overrides: Any) -> dict[str, str]:
        """The same settings as ``ASSAY_*`` variables (worker_id left to the process: host-pid)."""
        settings = self.worker_settings(**overrides).model_dump(exclude={"worker_id"})
        env = {f"ASSAY_{k.upper()}": str(settings[k]) for k in (
            "nats_url", "jobs_addr", "ingest_addr", "s3_endpoint", "s3_access_key", "s3_secret_key", "s3_region",
            "s3_secure", "s3_bucket", "grpc_host", "grpc_port", "metrics_port", "jwt_hs256_secret", "worker_secret",
            "worker_analyzers", "worker_concurrency", "worker_heartbeat_seconds", "worker_fetch_timeout_seconds",
            "worker_cancel_grace_seconds", "consumer_ack_wait_seconds", "consumer_max_deliver",
            "consumer_backoff_max_seconds", "consumer_stats_seconds", "shutdown_grace_seconds")}
        env["ASSAY_WORKER_PLUGINS"] = ""
        return env

    async def start_worker(self, **overrides: Any) -> AnalysisWorker:
        """An in-process worker with the built-in sentiment analyzer and ObjectStorageFiles."""
        return await analysis_server.start(self.worker_settings(**overrides))

    def spawn_worker(self, root: Path, **overrides: Any) -> AssayService:
        """``python -m assay.analysis`` with this stack's settings, launched (not awaited); its JSON logs
        go to ``root/analysis.log`` (``.log_path``)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSAY_", "OTEL_"))}
        env.update(self.worker_env(**overrides))
        worker = AssayService("analysis", env, root)
        worker.launch()
        self.spawned.append(worker)
        return worker

    def stop_spawned(self) -> None:
        """SIGTERM every spawned worker still alive; SIGKILL one that does not drain in 10 s."""
        stop_all(self.spawned, timeout=10)
        self.spawned.clear()

    async def work_consumer_idle(self) -> bool:
        """Whether every work message was settled (none pending, none awaiting an ack, at any priority)."""
        nc = await connect(self.worker_settings(), "test-consumer-info")
        try:
            for source in work_sources("sentiment"):
                info = await nc.jetstream().consumer_info(WORK_STREAM, source.consumer)
                if info.num_pending or info.num_ack_pending:
                    return False
            return True
        finally:
            await nc.close()

    # -- jobs ---------------------------------------------------------------------------------

    async def submit(self, data: bytes, *, tenant: str, name: str = "reviews.csv",
                     params: job_pb2.JobParams | None = None) -> ing.SubmitDocumentResponse:
        header: dict[str, Any] = {"params": params} if params is not None else {}
        return await self.ingest.files.SubmitDocument(
            submit_requests(chunked(data), name=name, **header), metadata=self.ingest.token(tenant=tenant))

    async def get(self, job_id: str, tenant: str) -> Job:
        request = js.GetJobRequest(id=job_id)
        return (await self.jobs.jobs.GetJob(request, metadata=self.jobs.token(tenant=tenant))).job

    async def cancel(self, job_id: str, tenant: str) -> None:
        await self.jobs.jobs.CancelJob(js.CancelJobRequest(id=job_id), metadata=self.jobs.token(tenant=tenant))

    async def settled(self, job_id: str, tenant: str, state: int, timeout: float = 30.0) -> Job:  # noqa: ASYNC109
        """The job once it is in ``state``; fails fast if it ends in another terminal state."""
        terminal = (Job.STATE_SUCCEEDED, Job.STATE_FAILED, Job.STATE_CANCELLED)

        async def check() -> Job | None:
            job = await self.get(job_id, tenant)
            if job.state != state and job.state in terminal:
                raise RuntimeError(f"job ended {Job.State.Name(job.state)}, not {Job.State.Name(state)}: {job}")
            return job if job.state == state else None

        return await eventually(check, timeout=timeout)

    async def running_with_progress(self, job_id: str, tenant: str, timeout: float = 30.0) -> Job:  # noqa: ASYNC109
        async def check() -> Job | None:
            job = await self.get(job_id, tenant)
            return job if job.state == Job.STATE_RUNNING and job.progress > 0 else None

        return await eventually(check, timeout=timeout)


def sentiment_params(
    text_column: str = "", model: sentiment_pb2.SentimentModelKind.ValueType = 0
) -> job_pb2.JobParams:
    return job_pb2.JobParams(sentiment=sentiment_pb2.SentimentParams(text_column=text_column, model=model))


def csv_lines(data: bytes) -> Sequence[list[str]]:
    return list(csv.reader(io.StringIO(data.decode())))


@pytest.fixture(scope="module")
async def file_stack(postgres: Postgres, s3_server: S3Endpoint) -> AsyncIterator[FileStack]:
    """Ingest (12 MiB cap) and jobs (2 s leases, quick retries) on fresh databases, a fresh bucket and NATS."""
    with NatsServer() as nats:
        ingest_url = fresh_database(postgres, "fingest")
        upgrade(INGEST_MIGRATIONS, ingest_url, "ingest")
        bucket = f"files-{uuid.uuid4().hex[:12]}"
        ensure_bucket(s3_server.client(), bucket)
        jobs_client = JobsClient()
        ingest = await start_ingest(ingest_settings(ingest_url, s3_server, bucket, max_upload_bytes=12 * MIB),
                                    s3_server, jobs_client)
        jobs_url = fresh_database(postgres, "fjobs")
        upgrade(JOBS_MIGRATIONS, jobs_url, "jobs")
        jobs = await start_jobs(JobsSettings(
            database_url=jobs_url, nats_url=nats.url, grpc_host="127.0.0.1", grpc_port=0, metrics_port=-1,
            **SERVICE_KEYS, lease_seconds=LEASE_SECONDS, retry_base_seconds=0.2,
            retry_max_seconds=1.0, reaper_interval_seconds=0.5, outbox_poll_seconds=0.2,
            ingest_addr=ingest.address,
        ))
        jobs_client.connect(f"127.0.0.1:{jobs.server.port}")
        ingest.jobs = jobs
        stack = FileStack(nats=nats, ingest=ingest, s3=s3_server)
        try:
            yield stack
        finally:
            stack.stop_spawned()
            await jobs.channel.close()
            await jobs.server.stop(1.0)
            await stop_ingest(ingest)
            await jobs_client.close()
