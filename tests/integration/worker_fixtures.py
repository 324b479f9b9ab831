"""Fixtures and helpers of the analysis worker tests.

Each test gets its own NATS server and jobs database: work subjects are named after analyzers,
so a shared NATS would mix other modules' leftover messages and consumers into these tests.
The jobs service runs in-process through harness.jobs.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from harness import NatsServer, Postgres, eventually
from harness.jobs import SERVICE_KEYS, WORKER_KEYS, JobsService, fresh_database, start_jobs

from assay.analysis import server as analysis_server
from assay.analysis.config import AnalysisSettings
from assay.analysis.files import NoFiles
from assay.analysis.registry import Registry, load_registry
from assay.analysis.server import AnalysisWorker
from assay.common.migrations import upgrade
from assay.jobs.config import JobsSettings
from assay.jobs.migrations import SCRIPT_LOCATION as MIGRATIONS
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js

SCRIPTED = "worker_analyzers:SCRIPTED"
SCRIPTED_BATCHED = "worker_analyzers:SCRIPTED_BATCHED"
"""The scripted analyzer, its inline texts small work (run in batches of one child exchange)."""
TESTS_DIR = Path(__file__).parent
LEASE_SECONDS = 2.0


@dataclass
class Stack:
    """A NATS server and a jobs service for one test."""

    nats: NatsServer
    jobs: JobsService

    def worker_settings(self, **overrides: Any) -> AnalysisSettings:
        values: dict[str, Any] = dict(
            nats_url=self.nats.url, jobs_addr=f"127.0.0.1:{self.jobs.server.port}", ingest_addr="",
            grpc_host="127.0.0.1", grpc_port=0, metrics_port=-1, **WORKER_KEYS,
            worker_concurrency=2, worker_heartbeat_seconds=0.4, worker_fetch_timeout_seconds=0.5,
            worker_cancel_grace_seconds=1.0, consumer_ack_wait_seconds=2.0, consumer_max_deliver=4,
            consumer_backoff_max_seconds=4.0, consumer_stats_seconds=1.0, shutdown_grace_seconds=5.0,
        )
        values.update(overrides)
        return AnalysisSettings(**values)

    def worker_env(self, **overrides: str) -> dict[str, str]:
        settings = self.worker_settings()
        env = {f"ASSAY_{k.upper()}": str(v) for k, v in settings.model_dump().items()
               if k in ("nats_url", "jobs_addr", "grpc_host", "grpc_port", "metrics_port", "jwt_hs256_secret",
                        "worker_secret",
                        "worker_concurrency", "worker_heartbeat_seconds", "worker_fetch_timeout_seconds",
                        "worker_cancel_grace_seconds", "consumer_ack_wait_seconds", "consumer_max_deliver",
                        "consumer_backoff_max_seconds", "shutdown_grace_seconds")}
        env.update(ASSAY_INGEST_ADDR="", ASSAY_WORKER_PLUGINS=SCRIPTED, ASSAY_WORKER_ANALYZERS="sentiment",
                   PYTHONPATH=str(TESTS_DIR))
        env.update(overrides)
        return env

    async def start_worker(self, registry: Registry | None = None, **overrides: Any) -> AnalysisWorker:
        if registry is None:
            registry = scripted_registry()
        return await analysis_server.start(self.worker_settings(**overrides), registry=registry, files=NoFiles())

    async def create(self, text: str, **fields: Any) -> job_pb2.Job:
        request = js.CreateJobRequest(analyzer="sentiment", inputs=job_pb2.JobInputs(text=text), **fields)
        return (await self.jobs.jobs.CreateJob(request, metadata=self.jobs.token())).job

    async def get(self, job_id: str) -> job_pb2.Job:
        return (await self.jobs.jobs.GetJob(js.GetJobRequest(id=job_id), metadata=self.jobs.token())).job

    async def reaches(self, job_id: str, state: int, timeout: float = 15.0) -> job_pb2.Job:  # noqa: ASYNC109
        """The job once it is in ``state`` (polled until ``timeout``)."""
        async def check() -> job_pb2.Job | None:
            job = await self.get(job_id)
            return job if job.state == state else None

        return await eventually(check, timeout=timeout)

    async def cancel(self, job_id: str) -> None:
        await self.jobs.jobs.CancelJob(js.CancelJobRequest(id=job_id), metadata=self.jobs.token())

    async def running_jobs(self) -> list[job_pb2.Job]:
        response = await self.jobs.jobs.ListJobs(js.ListJobsRequest(page_size=100), metadata=self.jobs.token())
        return [j for j in response.jobs if j.state == job_pb2.Job.STATE_RUNNING]


def scripted_registry() -> Registry:
    registry = Registry()
    registry.add_ref(SCRIPTED)
    return registry


def builtin_registry() -> Registry:
    return load_registry()


@contextlib.asynccontextmanager
async def open_stack(postgres: Postgres, **jobs_overrides: Any) -> AsyncIterator[Stack]:
    """A NATS server and a jobs service on a fresh database (``jobs_overrides``: JobsSettings fields)."""
    with NatsServer() as nats:
        url = fresh_database(postgres, "wjobs")
        upgrade(MIGRATIONS, url, "jobs")
        values: dict[str, Any] = dict(
            database_url=url, nats_url=nats.url, grpc_host="127.0.0.1", grpc_port=0,
            **SERVICE_KEYS, lease_seconds=LEASE_SECONDS, retry_base_seconds=0.2,
            retry_max_seconds=1.0, reaper_interval_seconds=0.5, outbox_poll_seconds=0.2,
            ingest_addr="127.0.0.1:1",
            # The worker tests look at the stream's messages (priorities, redeliveries): every queued
            # job is dispatched at once unless a test asks for the fair-share backlog.
            dispatch_backlog=1000,
        )
        values.update(jobs_overrides)
        service = await start_jobs(JobsSettings(**values))
        try:
            yield Stack(nats=nats, jobs=service)
        finally:
            await service.channel.close()
            await service.server.stop(1.0)


@pytest.fixture
async def stack(postgres: Postgres) -> AsyncIterator[Stack]:
    async with open_stack(postgres) as opened:
        yield opened
