"""Fixtures that run the ingest service in-process, wired to a jobs service, PostgreSQL and S3.

Import the fixture names into a test module (``# noqa: F401``, and ``# ruff: noqa: F811`` for the
test parameters that use them). ``ingest_stack`` is one ingest + jobs pair per module on fresh databases and a fresh
bucket; ``ingest_variant`` starts another ingest on the same database and bucket with different
settings (a bigger size cap, a shorter URL lifetime, ...).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
from harness import Postgres, S3Endpoint
from harness.jobs import SERVICE_KEYS, JobsService, fresh_database, start_jobs, worker_credential
from minio import Minio

from assay.common.auth import mint_token
from assay.common.capabilities import JobCapabilities
from assay.common.grpc_client import bearer, open_channel
from assay.common.grpc_server import GrpcServer
from assay.common.migrations import upgrade
from assay.common.storage import ensure_bucket
from assay.ingest import server as ingest_server
from assay.ingest.config import IngestSettings
from assay.ingest.jobs_client import JobsClient
from assay.ingest.migrations import SCRIPT_LOCATION as INGEST_MIGRATIONS
from assay.jobs.config import JobsSettings
from assay.jobs.migrations import SCRIPT_LOCATION as JOBS_MIGRATIONS
from assay.v1 import ingest_service_pb2 as ing
from assay.v1 import ingest_service_pb2_grpc, worker_file_service_pb2_grpc

Metadata = tuple[tuple[str, str], ...]
MIB = 1024 * 1024
TEST_MAX_UPLOAD_BYTES = 8 * MIB
"""The module stack's size cap: above 5 MiB + 1, small enough to make oversize tests quick."""


@dataclass
class IngestService:
    """A running ingest service and what tests need to talk to it."""

    settings: IngestSettings
    server: GrpcServer
    channel: grpc.aio.Channel
    files: ingest_service_pb2_grpc.IngestServiceAsyncStub
    worker: worker_file_service_pb2_grpc.WorkerFileServiceAsyncStub
    s3: Minio
    bucket: str
    token: Callable[..., Metadata]
    jobs: JobsService | None = None
    _closers: list[Any] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    @property
    def worker_credential(self) -> Metadata:
        """A worker credential (minted with the worker key), as analysis presents it."""
        return worker_credential(self.settings)

    def capability(self, tenant: str, job_id: str, files: Iterable[str] = ()) -> str:
        """The capability jobs would write into the work message of ``job_id`` of ``tenant``."""
        return JobCapabilities(self.settings).issue(tenant, job_id, files)

    def object_keys(self, tenant: str) -> list[str]:
        """Every object stored under the tenant's prefix."""
        return [o.object_name for o in self.s3.list_objects(self.bucket, prefix=f"tenants/{tenant}/", recursive=True)]

    def object_bytes_sha256(self, key: str) -> tuple[int, str]:
        """Size and sha256 of a stored object, read in 1 MiB pieces."""
        response = self.s3.get_object(self.bucket, key)
        digest, size = hashlib.sha256(), 0
        try:
            for piece in response.stream(MIB):
                digest.update(piece)
                size += len(piece)
        finally:
            response.close()
            response.release_conn()
        return size, digest.hexdigest()

    async def upload(
        self, chunks: Iterable[bytes], *, name: str = "notes.txt", media_type: str = "", sha256: str = "",
        size: int = 0, metadata: Metadata | None = None,
    ) -> ing.File:
        response = await self.files.UploadFile(
            upload_requests(chunks, name=name, media_type=media_type, sha256=sha256, size=size),
            metadata=metadata or self.token(),
        )
        return response.file

    async def file_ids(self, metadata: Metadata) -> set[str]:
        listed = await self.files.ListFiles(ing.ListFilesRequest(page_size=1000), metadata=metadata)
        return {f.id for f in listed.files}


def upload_requests(
    chunks: Iterable[bytes], *, name: str = "notes.txt", media_type: str = "", sha256: str = "", size: int = 0,
) -> Iterator[ing.UploadFileRequest]:
    """An UploadFile request stream: the header, then one message per chunk (lazily)."""
    yield ing.UploadFileRequest(header=ing.FileHeader(display_name=name, media_type=media_type, sha256=sha256,
                                                      size_bytes=size))
    for chunk in chunks:
        yield ing.UploadFileRequest(chunk=chunk)


def submit_requests(
    chunks: Iterable[bytes], *, analyzer: str = "sentiment", request_id: str = "", name: str = "reviews.txt",
    **header: Any,
) -> Iterator[ing.SubmitDocumentRequest]:
    """A SubmitDocument request stream: the header, then one message per chunk (lazily)."""
    yield ing.SubmitDocumentRequest(header=ing.SubmitDocumentHeader(
        file=ing.FileHeader(display_name=name), analyzer=analyzer, request_id=request_id, **header))
    for chunk in chunks:
        yield ing.SubmitDocumentRequest(chunk=chunk)


def new_tenant() -> str:
    """A tenant of its own, so that a test can count its objects and rows exactly."""
    return f"t{uuid.uuid4().hex[:12]}"


def ingest_settings(database_url: str, s3: S3Endpoint, bucket: str, **overrides: Any) -> IngestSettings:
    values: dict[str, Any] = {
        "database_url": database_url, "grpc_host": "127.0.0.1", "grpc_port": 0, "metrics_port": -1,
        **SERVICE_KEYS, "s3_endpoint": s3.endpoint, "s3_access_key": s3.access_key,
        "s3_secret_key": s3.secret_key, "s3_region": s3.region, "s3_secure": s3.secure, "s3_bucket": bucket,
        "max_upload_bytes": TEST_MAX_UPLOAD_BYTES, "jobs_addr": "",
    }
    values.update(overrides)
    return IngestSettings(**values)


async def start_ingest(settings: IngestSettings, s3: S3Endpoint, jobs: JobsClient | None = None) -> IngestService:
    """Start ingest in-process (``settings.grpc_port`` 0 picks a port; read ``.server.port``)."""
    running = await ingest_server.start(settings, jobs=jobs)
    channel = open_channel(f"127.0.0.1:{running.port}")

    def token(tenant: str = "acme", roles: Iterable[str] = ("user",), subject: str = "alice") -> Metadata:
        return bearer(mint_token(settings, subject=subject, tenant=tenant, roles=roles))

    return IngestService(
        settings=settings, server=running, channel=channel,
        files=ingest_service_pb2_grpc.IngestServiceStub(channel),
        worker=worker_file_service_pb2_grpc.WorkerFileServiceStub(channel),
        s3=s3.client(), bucket=settings.s3_bucket, token=token,
    )


async def stop_ingest(service: IngestService) -> None:
    await service.channel.close()
    await service.server.stop(1.0)


@pytest.fixture(scope="module")
async def ingest_stack(postgres: Postgres, nats_server: Any, s3_server: S3Endpoint) -> AsyncIterator[IngestService]:
    """Ingest and jobs wired to each other: fresh databases, a fresh bucket, an 8 MiB size cap.

    ``ingest_stack.jobs`` is the jobs service (a ``harness.jobs.JobsService``) whose ingest_addr
    points at this ingest, so CreateJob checks files through ``BatchGetFiles``.
    """
    ingest_url = fresh_database(postgres, "ingest")
    upgrade(INGEST_MIGRATIONS, ingest_url, "ingest")
    bucket = f"ingest-{uuid.uuid4().hex[:12]}"
    ensure_bucket(s3_server.client(), bucket)
    jobs_client = JobsClient()
    ingest = await start_ingest(ingest_settings(ingest_url, s3_server, bucket), s3_server, jobs_client)

    jobs_url = fresh_database(postgres, "jobs")
    upgrade(JOBS_MIGRATIONS, jobs_url, "jobs")
    jobs = await start_jobs(JobsSettings(
        database_url=jobs_url, nats_url=nats_server.url, grpc_host="127.0.0.1", grpc_port=0, metrics_port=-1,
        **SERVICE_KEYS, lease_seconds=2.0, retry_base_seconds=0.2, retry_max_seconds=1.0,
        reaper_interval_seconds=0.5, outbox_poll_seconds=0.2, ingest_addr=ingest.address,
    ))
    jobs_client.connect(f"127.0.0.1:{jobs.server.port}")
    ingest.jobs = jobs
    yield ingest
    await jobs.channel.close()
    await jobs.server.stop(1.0)
    await stop_ingest(ingest)


@pytest.fixture(scope="module")
def ingest_variant(
    ingest_stack: IngestService, s3_server: S3Endpoint,
) -> Callable[..., AbstractAsyncContextManager[IngestService]]:
    """``async with ingest_variant(max_upload_bytes=...) as other:`` another ingest on the same database,
    bucket and jobs service, with some settings overridden."""

    @asynccontextmanager
    async def variant(**overrides: Any) -> AsyncIterator[IngestService]:
        base = ingest_stack.settings
        settings = ingest_settings(base.database_url, s3_server, base.s3_bucket, **overrides)
        jobs_client = JobsClient()
        if ingest_stack.jobs is not None:
            jobs_client.connect(f"127.0.0.1:{ingest_stack.jobs.server.port}")
        service = await start_ingest(settings, s3_server, jobs_client)
        service.jobs = ingest_stack.jobs
        try:
            yield service
        finally:
            await stop_ingest(service)

    return variant
