"""Wiring of the jobs service: database, NATS, servicers, relay, dispatcher and reaper."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import suppress

import grpc
from nats.aio.client import Client

from assay.common.capabilities import JobCapabilities
from assay.common.db import create_engine
from assay.common.grpc_client import open_channel
from assay.common.grpc_server import GrpcServer, start_grpc_server
from assay.common.nats import ALL_EVENTS
from assay.common.nats_link import NatsLink
from assay.common.retention import sweep_token_minter
from assay.common.schema_revision import SchemaRevision
from assay.jobs import migrations
from assay.jobs.audit_record import AuditLog
from assay.jobs.cache import JobCache
from assay.jobs.config import JobsSettings
from assay.jobs.deletion import IngestArtifactEraser, JobDeletion
from assay.jobs.dispatch_at_create import DispatchAtCreate
from assay.jobs.dispatcher import Dispatcher
from assay.jobs.file_releases import FileReleases
from assay.jobs.files import FileCatalog, IngestFileCatalog
from assay.jobs.group_create import JobCreator
from assay.jobs.job_execution_service import JobExecutionServicer
from assay.jobs.job_service import JobServicer
from assay.jobs.outbox import OutboxRelay
from assay.jobs.reaper import run_reaper
from assay.jobs.retention import RetentionSweep, run_retention_sweep
from assay.jobs.store import JobStore
from assay.jobs.webhook_delivery import WebhookDeliverer
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

FINAL_DRAIN_SECONDS = 10.0
NATS_START_WAIT_SECONDS = 5.0
"""How long start-up waits for NATS before serving without it (it connects in the background)."""


def psycopg_url(sqlalchemy_url: str) -> str:
    """The libpq form of a ``postgresql+psycopg://`` URL."""
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)


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
    dispatcher = Dispatcher(engine, capabilities, settings.fair_share(), backlog=settings.dispatch_backlog,
                            backlog_per_running=settings.dispatch_backlog_per_running,
                            poll_seconds=settings.dispatch_poll_seconds, psycopg_url=psycopg_url(settings.database_url))
    at_create = (DispatchAtCreate(capabilities, settings.fair_share(), dispatcher.backlog_for)
                 if settings.dispatch_at_create else None)
    store = JobStore(engine, settings.lease_seconds, cache, settings.quotas(), at_create)
    resolved_files = files
    eraser_channel = open_channel(settings.ingest_addr)
    deletion = JobDeletion(engine, nats, IngestArtifactEraser(eraser_channel, settings.ingest_timeout_seconds), cache)
    creator = JobCreator(store, max_size=settings.create_batch_max, concurrency=settings.create_batch_concurrency,
                         max_wait=settings.create_batch_wait_seconds)
    webhook_secrets = SecretBox(settings.secret_key_material(settings.job_capability_secret))
    deliverer = WebhookDeliverer(engine, settings, webhook_secrets)

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
    retention = settings.retention()
    # With several serving processes on one node (ASSAY_JOBS_PROCESSES) the background work runs in
    # the first only: the others would repeat each dispatch round (serialised by its lock) and
    # wait as relay candidates, for nothing but CPU. Every process serves RPCs, dispatches at create
    # and keeps its cache fresh from the events.
    background = settings.serving_process == 0
    tasks = [
        asyncio.create_task(dispatcher.run(), name="dispatcher"),
        asyncio.create_task(run_reaper(store, settings.reaper_interval_seconds, grace=settings.lease_seconds,
                                       calm=settings.lease_seconds), name="lease-reaper"),
        asyncio.create_task(deliverer.run(psycopg_url(settings.database_url)), name="webhook-delivery"),
    ] if background else []
    if retention.enabled and background:
        sweep = RetentionSweep(engine, deletion, retention, sweep_token_minter(settings),
                               batch=settings.retention_batch)
        tasks.append(asyncio.create_task(run_retention_sweep(sweep, settings.retention_sweep_seconds),
                                         name="retention-sweep"))

    relays: list[OutboxRelay] = []

    async def start_relay(nc: Client) -> None:
        relay = OutboxRelay(engine, nc, psycopg_url(settings.database_url),
                            batch_size=settings.outbox_batch_size, poll_seconds=settings.outbox_poll_seconds)
        relays.append(relay)
        tasks.append(asyncio.create_task(relay.run(), name="outbox-relay"))

    if background:
        nats.when_connected(start_relay)
    nats.start()
    if not await nats.wait_connected(NATS_START_WAIT_SECONDS):
        logger.warning("NATS unreachable: serving without it; jobs are relayed once it is back")

    async def stop_background() -> None:
        await nats.stop_connecting()  # no relay starts after this
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task
        with suppress(Exception):  # best effort, bounded: the next leader relays what is left
            async with asyncio.timeout(FINAL_DRAIN_SECONDS):
                for relay in relays:
                    await relay.drain_once()
        await deliverer.close()
        await nats.close()
        if channel is not None:
            await channel.close()
        await eraser_channel.close()
        await engine.dispose()

    server.on_stop.append(stop_background)
    server.watch_database(engine, settings, SchemaRevision(migrations.SCRIPT_LOCATION, migrations.SCHEMA, "jobs"))
    return server
