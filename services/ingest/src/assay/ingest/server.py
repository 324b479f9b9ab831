"""Wiring of the ingest service: database, object storage, the jobs client and the servicers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

import grpc

from assay.common.capabilities import JobCapabilities
from assay.common.db import create_engine
from assay.common.grpc_server import GrpcServer, start_grpc_server
from assay.common.retention import Retention, sweep_token_minter
from assay.common.schema_revision import SchemaRevision
from assay.common.storage import create_client
from assay.common.tenant_values import PerTenant
from assay.ingest import migrations
from assay.ingest.config import IngestSettings
from assay.ingest.file_deletion import FileDeletion
from assay.ingest.index_client import IndexClient
from assay.ingest.ingest_service import IngestServicer
from assay.ingest.jobs_client import JobsClient
from assay.ingest.objects import ObjectStore
from assay.ingest.orphans import run_orphan_sweeper
from assay.ingest.retention import FileRetentionSweep, run_file_retention_sweep
from assay.ingest.store import FileStore
from assay.ingest.worker_file_service import WorkerFileServicer
from assay.v1 import (
    ingest_service_pb2,
    ingest_service_pb2_grpc,
    worker_file_service_pb2,
    worker_file_service_pb2_grpc,
)

logger = logging.getLogger(__name__)


async def start(settings: IngestSettings, *, jobs: JobsClient | None = None) -> GrpcServer:
    """Start the ingest service; the returned server's ``stop`` tears everything down.

    ``jobs`` defaults to a client of ``settings.jobs_addr``; pass an unconnected
    :class:`JobsClient` and ``connect`` it later when jobs starts after ingest (tests do).
    """
    engine = create_engine(settings)
    store = FileStore(engine, PerTenant.parse(settings.quota_bytes_stored, "ASSAY_QUOTA_BYTES_STORED"))
    objects = ObjectStore(create_client(settings), settings.s3_bucket,
                          part_size=settings.upload_part_bytes, parallelism=settings.upload_parallelism)
    jobs_client = jobs if jobs is not None else JobsClient(settings.jobs_addr, settings.jobs_timeout_seconds)
    index_client = IndexClient(settings.analysis_addr, settings.jobs_timeout_seconds)
    ingest = IngestServicer(store, objects, jobs_client, settings, index_client)
    capabilities = JobCapabilities(settings)

    def register(server: grpc.aio.Server) -> Sequence[str]:
        ingest_service_pb2_grpc.add_IngestServiceServicer_to_server(ingest, server)
        worker_file_service_pb2_grpc.add_WorkerFileServiceServicer_to_server(
            WorkerFileServicer(store, objects, capabilities), server)
        return [
            ingest_service_pb2.DESCRIPTOR.services_by_name["IngestService"].full_name,
            worker_file_service_pb2.DESCRIPTOR.services_by_name["WorkerFileService"].full_name,
        ]

    server = await start_grpc_server(settings, register)
    sweeper = (asyncio.create_task(run_orphan_sweeper(
        engine, objects, settings.orphan_sweep_seconds, settings.orphan_grace_seconds), name="orphan-sweeper")
        if settings.orphan_sweep_seconds > 0 else None)

    retention = Retention.parse(settings.retention_days)
    expiry = (asyncio.create_task(run_file_retention_sweep(FileRetentionSweep(
        engine, FileDeletion(store, objects, jobs_client, index_client), retention,
        sweep_token_minter(settings)),
        settings.retention_sweep_seconds), name="file-retention-sweep") if retention.enabled else None)

    async def stop_background() -> None:
        for task in (sweeper, expiry):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await ingest.wait_background()
        await jobs_client.close()
        await index_client.close()
        await engine.dispose()

    server.on_stop.append(stop_background)
    server.watch_database(engine, settings, SchemaRevision(migrations.SCRIPT_LOCATION, migrations.SCHEMA, "ingest"))
    return server
