"""The jobs service's background work: dispatch rounds, the outbox relay, the lease reaper, webhook
delivery and the retention sweep.

It runs in serving process 0 (``server.start``) or, with ``ASSAY_JOBS_BACKGROUND_PROCESS``, in a
process of its own that serves no RPCs (``start_process``). Nothing ties it to the serving processes in
memory: each piece is woken by PostgreSQL (``NOTIFY assay_dispatch``, ``assay_outbox``,
``assay_webhooks`` from the tables' triggers, whichever process wrote), serialised or elected by an
advisory lock, and publishes through NATS, as it must across replicas; a serving process's job cache
learns of the background's transitions (a dispatch, a reaped lease, a retention deletion) from the
job events like any other replica's.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

import grpc
from nats.aio.client import Client
from sqlalchemy.ext.asyncio import AsyncEngine

from assay.common.capabilities import JobCapabilities
from assay.common.db import create_engine
from assay.common.grpc_client import open_channel
from assay.common.nats_link import NatsLink
from assay.common.retention import sweep_token_minter
from assay.jobs.cache import JobCache
from assay.jobs.config import JobsSettings
from assay.jobs.deletion import IngestArtifactEraser, JobDeletion
from assay.jobs.dispatcher import Dispatcher
from assay.jobs.outbox import OutboxRelay
from assay.jobs.reaper import run_reaper
from assay.jobs.retention import RetentionSweep, run_retention_sweep
from assay.jobs.store import JobStore
from assay.jobs.webhook_delivery import WebhookDeliverer
from assay.jobs.webhook_secrets import SecretBox

logger = logging.getLogger(__name__)

FINAL_DRAIN_SECONDS = 10.0
NATS_START_WAIT_SECONDS = 5.0
"""How long start-up waits for NATS before going on without it (it connects in the background)."""


def psycopg_url(sqlalchemy_url: str) -> str:
    """The libpq form of a ``postgresql+psycopg://`` URL."""
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)


def new_dispatcher(engine: AsyncEngine, settings: JobsSettings, capabilities: JobCapabilities) -> Dispatcher:
    """The dispatcher the settings describe (serving processes use its ``backlog_for`` at create)."""
    return Dispatcher(engine, capabilities, settings.fair_share(), backlog=settings.dispatch_backlog,
                      backlog_per_running=settings.dispatch_backlog_per_running,
                      poll_seconds=settings.dispatch_poll_seconds, psycopg_url=psycopg_url(settings.database_url))


class BackgroundWork:
    """The background tasks on a process's engine and NATS link; ``start`` before ``nats.start()``
    (the relay starts on each connection), ``stop`` before the engine and the link are closed."""

    def __init__(self, settings: JobsSettings, engine: AsyncEngine, nats: NatsLink, store: JobStore,
                 deletion: JobDeletion, dispatcher: Dispatcher) -> None:
        self._settings = settings
        self._engine = engine
        self._nats = nats
        self._store = store
        self._deletion = deletion
        self._dispatcher = dispatcher
        self._deliverer = WebhookDeliverer(engine, settings, SecretBox(
            settings.secret_key_material(settings.job_capability_secret)))
        self._tasks: list[asyncio.Task[None]] = []
        self._relays: list[OutboxRelay] = []

    def start(self) -> None:
        settings, url = self._settings, psycopg_url(self._settings.database_url)
        self._tasks += [
            asyncio.create_task(self._dispatcher.run(), name="dispatcher"),
            asyncio.create_task(run_reaper(self._store, settings.reaper_interval_seconds,
                                           grace=settings.lease_seconds, calm=settings.lease_seconds),
                                name="lease-reaper"),
            asyncio.create_task(self._deliverer.run(url), name="webhook-delivery"),
        ]
        retention = settings.retention()
        if retention.enabled:
            sweep = RetentionSweep(self._engine, self._deletion, retention, sweep_token_minter(settings),
                                   batch=settings.retention_batch)
            self._tasks.append(asyncio.create_task(run_retention_sweep(sweep, settings.retention_sweep_seconds),
                                                   name="retention-sweep"))
        self._nats.when_connected(self._start_relay)

    async def _start_relay(self, nc: Client) -> None:
        settings = self._settings
        relay = OutboxRelay(self._engine, nc, psycopg_url(settings.database_url),
                            batch_size=settings.outbox_batch_size, poll_seconds=settings.outbox_poll_seconds)
        self._relays.append(relay)
        self._tasks.append(asyncio.create_task(relay.run(), name="outbox-relay"))

    async def stop(self) -> None:
        """Cancel every task, then one bounded last relay pass (the next leader relays what is left).
        The caller has stopped the link's connecting first, so no relay starts after this."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError):
                await task
        with suppress(Exception):
            async with asyncio.timeout(FINAL_DRAIN_SECONDS):
                for relay in self._relays:
                    await relay.drain_once()
        await self._deliverer.close()


class BackgroundProcess:
    """The background work alone (``ASSAY_JOBS_BACKGROUND_PROCESS``): no gRPC server, no job cache, no
    job events consumed; observed through its /metrics port, its logs and the spans of its rounds."""

    port = 0
    """It serves no gRPC (``RunningService``)."""

    def __init__(self, work: BackgroundWork, nats: NatsLink, engine: AsyncEngine,
                 channels: list[grpc.aio.Channel]) -> None:
        self._work = work
        self._nats = nats
        self._engine = engine
        self._channels = channels
        self._stopped = False

    async def stop(self, grace: float | None = None) -> None:
        """Stop the work (``grace`` unused: there are no calls to drain), then NATS and the database."""
        if self._stopped:
            return
        self._stopped = True
        await self._nats.stop_connecting()
        await self._work.stop()
        await self._nats.close()
        for channel in self._channels:
            await channel.close()
        await self._engine.dispose()


async def start_process(settings: JobsSettings) -> BackgroundProcess:
    """Start the background work in this process, which serves nothing else."""
    engine = create_engine(settings)
    nats = NatsLink(settings, "assay-jobs-background")
    no_cache = JobCache(0, 0.0)  # nothing here answers GetJob; the serving processes' caches follow the events
    eraser_channel = open_channel(settings.ingest_addr)
    eraser = IngestArtifactEraser(eraser_channel, settings.ingest_timeout_seconds)
    deletion = JobDeletion(engine, nats, eraser, no_cache)
    store = JobStore(engine, settings.lease_seconds, no_cache, settings.quotas(), None)
    work = BackgroundWork(settings, engine, nats, store, deletion,
                          new_dispatcher(engine, settings, JobCapabilities(settings)))
    work.start()
    nats.start()
    if not await nats.wait_connected(NATS_START_WAIT_SECONDS):
        logger.warning("NATS unreachable: the relay starts once it is back")
    logger.info("jobs background work started (no gRPC served in this process)")
    return BackgroundProcess(work, nats, engine, [eraser_channel])
