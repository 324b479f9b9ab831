"""Wiring of the jobs service: database, NATS, servicers, and the background work where this process runs it."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import grpc

from assay.common.capabilities import JobCapabilities
from assay.common.db import create_engine
from assay.common.grpc_client import open_channel
from assay.common.grpc_server import GrpcServer, start_grpc_server
from assay.common.nats import ALL_EVENTS
from assay.common.nats_link import NatsLink
from assay.common.schema_revision import SchemaRevision
from assay.jobs import migrations
from assay.jobs.audit_record import AuditLog
from assay.jobs.background import NATS_START_WAIT_SECONDS, BackgroundWork, new_dispatcher, psycopg_url
from assay.jobs.cache import JobCache
from assay.jobs.config import JobsSettings
from assay.jobs.deletion import IngestArtifactEraser, JobDeletion
from assay.jobs.dispatch_at_create import DispatchAtCreate
from assay.jobs.file_releases import FileReleases
from assay.jobs.files import FileCatalog, IngestFileCatalog
from assay.jobs.group_create import JobCreator
from assay.jobs.job_execution_service import JobExecutionServicer
from assay.jobs.job_service import JobServicer
from assay.jobs.store import JobStore
from assay.jobs.webhook_secrets import SecretBox
from assay.jobs.webhook_service import WebhookServicer
from assay.jobs.webhook_store import WebhookStore
from assay.v1 import (
    job_execution_service_pb2,
    job_execution_service_pb2_grpc,
    jobs_service_pb2,
    jobs_service_pb2_grpc,
    webhooks_service_pb2,
    webhooks_service_pb2_grpc,
)

logger = logging.getLogger(__name__)

__all__ = ["psycopg_url", "runs_background_work", "start"]


def runs_background_work(settings: JobsSettings) -> bool:
    """Whether this serving process runs the background work (``assay.jobs.background``): the first
    of several on a node (the others would repeat each dispatch round, serialised by its lock, and
    wait as relay candidates, for nothing but CPU), and none when a process of its own runs it
    (``jobs_background_process``). Every serving process serves RPCs, dispatches at create and keeps
    its cache fresh from the events."""
    return settings.serving_process == 0 and not settings.jobs_background_process


async def start(settings: JobsSettings, *, files: FileCatalog | None = None) -> GrpcServer:
    """Start the jobs service; the returned server's ``stop`` tears everything down.

    ``files`` defaults to ingest's ``BatchGetFiles`` at ``settings.ingest_addr``.
    """
    engine = create_engine(settings)
    # NATS is connected in the background: jobs accepts work into its outbox while NATS is down
    # and relays it once NATS is back (awaiting the first connection held jobs down for an outage).
    nats = NatsLink(settings, "assay-jobs")
    cache = JobCache(settings.job_cache_bytes, settings.job_cache_seconds,
                     finished_ttl_seconds=settings.job_cache_finished_seconds)
    if cache.enabled:  # other replicas' transitions refresh what this one has cached
        nats.when_connected(lambda nc: nc.subscribe(ALL_EVENTS, cb=cache.on_event))
    capabilities = JobCapabilities(settings)
    channel = None
    if files is None:
        channel = open_channel(settings.ingest_addr)
        files = IngestFileCatalog(channel, settings.ingest_timeout_seconds)
    dispatcher = new_dispatcher(engine, settings, capabilities)
    at_create = (DispatchAtCreate(capabilities, settings.fair_share(), dispatcher.backlog_for)
                 if settings.dispatch_at_create else None)
    store = JobStore(engine, settings.lease_seconds, cache, settings.quotas(), at_create)
    resolved_files = files
    eraser_channel = open_channel(settings.ingest_addr)
    deletion = JobDeletion(engine, nats, IngestArtifactEraser(eraser_channel, settings.ingest_timeout_seconds), cache)
    creator = JobCreator(store, max_size=settings.create_batch_max, concurrency=settings.create_batch_concurrency,
                         max_wait=settings.create_batch_wait_seconds)
    webhook_secrets = SecretBox(settings.secret_key_material(settings.job_capability_secret))

    def register(server: grpc.aio.Server) -> Sequence[str]:
        jobs_service_pb2_grpc.add_JobServiceServicer_to_server(
            JobServicer(store, resolved_files, nats, settings.default_max_attempts, FileReleases(engine), deletion,
                        AuditLog(engine), creator),
            server)
        job_execution_service_pb2_grpc.add_JobExecutionServiceServicer_to_server(
            JobExecutionServicer(store, settings, capabilities), server)
        webhooks_service_pb2_grpc.add_WebhookServiceServicer_to_server(
            WebhookServicer(WebhookStore(engine), webhook_secrets, settings.target_policy(), AuditLog(engine)), server)
        return [
            webhooks_service_pb2.DESCRIPTOR.services_by_name["WebhookService"].full_name,
            jobs_service_pb2.DESCRIPTOR.services_by_name["JobService"].full_name,
            job_execution_service_pb2.DESCRIPTOR.services_by_name["JobExecutionService"].full_name,
        ]

    server = await start_grpc_server(settings, register)
    background = BackgroundWork(settings, engine, nats, store, deletion, dispatcher) \
        if runs_background_work(settings) else None
    if background is not None:
        background.start()
    nats.start()
    if not await nats.wait_connected(NATS_START_WAIT_SECONDS):
        logger.warning("NATS unreachable: serving without it; jobs are relayed once it is back")

    async def release() -> None:
        await nats.stop_connecting()  # no relay starts after this
        if background is not None:
            await background.stop()
        await nats.close()
        if channel is not None:
            await channel.close()
        await eraser_channel.close()
        await engine.dispose()

    server.on_stop.append(release)
    server.watch_database(engine, settings, SchemaRevision(migrations.SCRIPT_LOCATION, migrations.SCHEMA, "jobs"))
    return server
