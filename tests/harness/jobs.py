"""The jobs service in-process on the harness's PostgreSQL and NATS (a pytest plugin: `jobs_service`),
and the helpers other fixtures build on (`fresh_database`, `start_jobs`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import grpc
import pytest

from assay.common.auth import mint_token, mint_worker_credential
from assay.common.capabilities import JobCapabilities
from assay.common.config import CommonSettings
from assay.common.grpc_client import bearer, open_channel
from assay.common.grpc_server import GrpcServer
from assay.common.migrations import upgrade
from assay.devstack.servers.postgres import Postgres
from assay.jobs import server as jobs_server
from assay.jobs.config import JobsSettings
from assay.jobs.migrations import SCRIPT_LOCATION as MIGRATIONS
from assay.v1 import job_execution_service_pb2_grpc, jobs_service_pb2_grpc

JWT_SECRET = "integration-test-secret-0123456789abcdef"
WORKER_SECRET = "integration-worker-secret-0123456789abcdef"
CAPABILITY_SECRET = "integration-capability-secret-0123456789abcdef"
WORKER_KEYS = {"jwt_hs256_secret": JWT_SECRET, "worker_secret": WORKER_SECRET}
"""The keys an analysis worker gets: tenant tokens' and its own credential's (no capability key)."""
SERVICE_KEYS = {**WORKER_KEYS, "job_capability_secret": CAPABILITY_SECRET}
"""The keys jobs and ingest get."""


def fresh_database(postgres: Postgres, prefix: str) -> str:
    """A new database owned by a new non-superuser role, so row-level security applies."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    postgres.create_role(name, "pw")
    postgres.create_database(name, owner=name)
    return postgres.url_for(name, user=name, password="pw")


Metadata = tuple[tuple[str, str], ...]


@dataclass
class JobsService:
    """A running jobs service and what tests need to talk to it."""

    settings: JobsSettings
    server: GrpcServer
    channel: grpc.aio.Channel
    jobs: jobs_service_pb2_grpc.JobServiceStub
    execution: job_execution_service_pb2_grpc.JobExecutionServiceStub
    token: Callable[..., tuple[tuple[str, str], ...]]
    worker: Metadata
    """A worker credential, as a worker presents it (with a job's capability on each call)."""

    def capability(self, tenant: str, job_id: str, files: Iterable[str] = ()) -> str:
        """The capability jobs writes into the work message of ``job_id`` of ``tenant``."""
        return JobCapabilities(self.settings).issue(tenant, job_id, files)


def token_factory(settings: JobsSettings) -> Callable[..., Metadata]:
    def token(tenant: str = "acme", roles: Iterable[str] = ("user",), subject: str = "alice") -> Metadata:
        return bearer(mint_token(settings, subject=subject, tenant=tenant, roles=roles))

    return token


def worker_credential(settings: CommonSettings, subject: str = "service:test-worker") -> Metadata:
    """The bearer metadata of a worker credential minted with the worker key."""
    return bearer(mint_worker_credential(settings, subject=subject))


async def start_jobs(settings: JobsSettings) -> JobsService:
    running = await jobs_server.start(settings)
    channel = open_channel(f"127.0.0.1:{running.port}")
    return JobsService(
        settings=settings, server=running, channel=channel,
        jobs=jobs_service_pb2_grpc.JobServiceStub(channel),
        execution=job_execution_service_pb2_grpc.JobExecutionServiceStub(channel),
        token=token_factory(settings), worker=worker_credential(settings),
    )


@asynccontextmanager
async def jobs_on_fresh_database(postgres: Postgres, nats_url: str, prefix: str = "jobs",
                                 **overrides: Any) -> AsyncIterator[JobsService]:
    """The jobs service on a fresh database, with short leases and retry delays for tests;
    ``overrides`` are further JobsSettings fields (quotas, rate limits, ...)."""
    url = fresh_database(postgres, prefix)
    upgrade(MIGRATIONS, url, "jobs")
    settings = JobsSettings(**{
        "database_url": url, "nats_url": nats_url, "grpc_host": "127.0.0.1", "grpc_port": 0,
        **SERVICE_KEYS, "lease_seconds": 2.0, "retry_base_seconds": 0.2,
        "retry_max_seconds": 1.0, "reaper_interval_seconds": 0.5, "outbox_poll_seconds": 0.2,
        "ingest_addr": "127.0.0.1:1", **overrides,
    })
    service = await start_jobs(settings)
    try:
        yield service
    finally:
        await service.channel.close()
        await service.server.stop(1.0)


@pytest.fixture(scope="module")
async def jobs_service(postgres: Postgres, nats_server) -> AsyncIterator[JobsService]:  # type: ignore[no-untyped-def]
    """The jobs service on a fresh database, with short leases and retry delays for tests."""
    async with jobs_on_fresh_database(postgres, nats_server.url) as service:
        yield service
