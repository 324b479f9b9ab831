"""Wiring of the analysis worker: NATS consumers, the attempt runtime, AnalysisService, drain."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import grpc
from nats.aio.client import Client
from sqlalchemy.ext.asyncio import AsyncEngine

from assay.analysis.analysis_service import AnalysisServicer
from assay.analysis.config import AnalysisSettings
from assay.analysis.consumer import Handler, Slots, WorkDispatcher, WorkSource, provision_sources
from assay.analysis.deadletter import DeadLetterListener
from assay.analysis.executor import Executor
from assay.analysis.files import ArtifactSink, InputStore, NoFiles, ObjectStorageFiles
from assay.analysis.generation import Generator
from assay.analysis.index_service import IndexServicer
from assay.analysis.index_store import IndexStore
from assay.analysis.jobs_client import JobsClient
from assay.analysis.registry import Registry, load_registry
from assay.analysis.resilience import DEPENDENCIES, Backoff, Breakers
from assay.analysis.runtime import AttemptRunner, RuntimeOptions
from assay.analysis.small_batches import SmallBatches
from assay.analysis.worker_slot import release_predecessors
from assay.common.auth import worker_credential
from assay.common.db import create_engine
from assay.common.grpc_client import RefreshingToken, open_channel
from assay.common.grpc_server import GrpcServer, start_grpc_server
from assay.common.nats import MAX_PRIORITY, connect_with_streams
from assay.common.storage import create_client
from assay.v1 import analysis_service_pb2, analysis_service_pb2_grpc, index_pb2, index_pb2_grpc

logger = logging.getLogger(__name__)


@dataclass
class AnalysisWorker:
    """A running worker; ``stop`` drains it."""

    settings: AnalysisSettings
    registry: Registry
    nc: Client
    executor: Executor
    slots: list[Slots]
    dispatchers: list[WorkDispatcher]
    in_flight: set[asyncio.Task[None]]
    background: list[asyncio.Task[None]]
    dead_letters: DeadLetterListener
    channels: list[grpc.aio.Channel]
    grpc: GrpcServer | None = None
    engine: AsyncEngine | None = None
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    loops: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.grpc.port if self.grpc is not None else 0

    async def stop(self, grace: float | None = None) -> None:
        """Stop fetching, let running attempts finish for ``grace`` seconds, hand back the rest."""
        grace = self.settings.shutdown_grace_seconds if grace is None else grace
        for dispatcher in self.dispatchers:
            dispatcher.stop()
        for slots in self.slots:
            slots.close()
        await asyncio.wait(self.loops, timeout=self.settings.worker_fetch_timeout_seconds + 2)
        for loop in self.loops:
            loop.cancel()
        if self.in_flight:
            logger.info("draining in-flight attempts", extra={"count": len(self.in_flight), "grace": grace})
            _, pending = await asyncio.wait(set(self.in_flight), timeout=grace)
            for task in pending:
                task.cancel()  # kills the child, FailJob(WORKER_SHUTDOWN), nak(delay)
            await asyncio.gather(*pending, return_exceptions=True)
        await self.dead_letters.stop()
        for task in self.background:
            task.cancel()
        await asyncio.gather(*self.loops, *self.background, return_exceptions=True)
        if self.grpc is not None:
            await self.grpc.stop(min(grace, 5.0))
        if self.engine is not None:
            await self.engine.dispose()
        for close in self.closers:
            await close()
        with contextlib.suppress(Exception):
            await self.nc.drain()
        for channel in self.channels:
            await channel.close()
        self.executor.close()


@dataclass
class _Served:
    """What AnalysisService and IndexService hold, started before the worker connects to NATS."""

    grpc: GrpcServer | None = None
    engine: AsyncEngine | None = None
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    background: list[asyncio.Task[None]] = field(default_factory=list)

    async def close(self) -> None:
        """Undo a start that failed (or was cancelled) while connecting to NATS."""
        for task in self.background:
            task.cancel()
        if self.grpc is not None:
            await self.grpc.stop(0)
        if self.engine is not None:
            await self.engine.dispose()
        for close in self.closers:
            await close()


async def start(
    settings: AnalysisSettings,
    *,
    registry: Registry | None = None,
    files: ObjectStorageFiles | NoFiles | None = None,
    serve_grpc: bool = True,
) -> AnalysisWorker:
    """Provision consumers and start consuming; optionally serve AnalysisService.

    ``registry`` defaults to the analyzers the settings select, ``files`` to WorkerFileService plus
    object storage (``NoFiles`` without an ingest address).
    """
    if registry is None:
        registry = load_registry(settings.plugin_refs(), settings.analyzer_filter())
    if not registry.names():
        raise RuntimeError("no analyzers registered; check ASSAY_WORKER_ANALYZERS / ASSAY_WORKER_PLUGINS")
    token = RefreshingToken(lambda: worker_credential(settings, service="analysis"))
    token()  # no worker credential configured: fail at start, not at the first job
    jobs_channel = open_channel(settings.jobs_addr, settings.jobs_connections)
    channels = [jobs_channel]
    if files is None:
        if settings.ingest_addr:
            ingest_channel = open_channel(settings.ingest_addr)
            channels.append(ingest_channel)
            files = ObjectStorageFiles(ingest_channel, create_client(settings), settings.s3_bucket, token,
                                       settings.worker_rpc_timeout_seconds)
        else:
            files = NoFiles()
    inputs: InputStore = files
    artifacts: ArtifactSink = files
    backoff = Backoff(settings.worker_backoff_base_seconds, settings.worker_backoff_max_seconds)
    breakers = Breakers(DEPENDENCIES, settings.worker_breaker_threshold, settings.worker_breaker_cooldown_seconds)
    jobs = JobsClient(jobs_channel, token, settings.worker_rpc_timeout_seconds, breaker=breakers["jobs"],
                      report_budget=settings.worker_report_retry_seconds,
                      start_budget=settings.worker_dependency_wait_seconds, backoff=backoff,
                      batch_size=settings.worker_batch_size)
    executor = Executor([e.ref for e in registry.entries()], settings.worker_cancel_grace_seconds,
                        settings.worker_memory_limit_bytes, {"ASSAY_DATABASE_URL": settings.database_url},
                        rehearsable=[e.ref for e in registry.entries()
                                     if e.spec.batch_inline_text and e.spec.cacheable])
    boot = uuid.uuid4().hex  # this process, within its slot
    slots = Slots(settings.worker_concurrency)
    small_slots = Slots(settings.worker_small_concurrency, "small") if settings.worker_small_concurrency else None
    spares = settings.worker_small_spare_children if small_slots is not None else 0
    # Jobs sent ahead of the backlog are fetched beside the small slots (their attempts then go first,
    # in a spare child or the next free one): one such fetch per spare and one more, so a tenant's next
    # job is fetched and started while its previous attempt still runs in the spare child.
    reserve_slots = Slots(spares + 1, "reserve") if small_slots is not None else None
    small = None if small_slots is None else SmallBatches(
        executor, max_size=settings.worker_small_batch_size, concurrency=settings.worker_concurrency,
        slots=small_slots, window=settings.worker_small_window_seconds, spares=spares)
    if spares:
        executor.keep_warm(settings.worker_concurrency + spares)
    runner = AttemptRunner(registry, executor, jobs, inputs, artifacts, RuntimeOptions(
        worker_id=settings.worker_id, max_deliver=settings.consumer_max_deliver,
        worker_slot=settings.worker_slot, worker_boot=boot,
        heartbeat_seconds=settings.worker_heartbeat_seconds,
        time_limit_override_seconds=settings.worker_time_limit_seconds,
        dependency_wait_seconds=settings.worker_dependency_wait_seconds, backoff=backoff), breakers,
        small=small, child_slots=slots)

    served = _Served()
    if serve_grpc:  # before NATS: Ask and ListAnalyzers need none (its first connection may wait out an outage)
        servicer = AnalysisServicer(registry)
        served.engine = create_engine(settings)
        generator = Generator(settings.llm_base_url, settings.llm_model, settings.llm_api_key,
                              settings.llm_timeout_seconds) if settings.llm_base_url else None
        index = IndexServicer(IndexStore(served.engine, settings.index_ef_search), settings.index_min_similarity,
                              generator, settings.index_question_cache_bytes)
        # The model loaded and run once before the first question, without delaying readiness.
        served.background.append(asyncio.create_task(index.warm(), name="index-warm"))
        if generator is not None:
            served.closers.append(generator.close)

        def register(server: grpc.aio.Server) -> Sequence[str]:
            analysis_service_pb2_grpc.add_AnalysisServiceServicer_to_server(servicer, server)
            index_pb2_grpc.add_IndexServiceServicer_to_server(index, server)
            return [analysis_service_pb2.DESCRIPTOR.services_by_name["AnalysisService"].full_name,
                    index_pb2.DESCRIPTOR.services_by_name["IndexService"].full_name]

        served.grpc = await start_grpc_server(settings, register)
        breakers.on_change(served.grpc.set_serving)  # readiness: NOT_SERVING while a dependency is down
    try:
        nc = await connect_with_streams(settings, f"assay-analysis-{settings.worker_id}")
    except BaseException:
        await served.close()
        raise
    sources = [source for name in registry.names() for source in await provision_sources(nc, name, settings)]
    in_flight: set[asyncio.Task[None]] = set()
    dispatchers = fetch_loops(nc, sources, settings, registry, slots, small_slots, runner.handle, in_flight, breakers,
                              reserve_slots)
    dead_letters = DeadLetterListener(nc, jobs, settings.worker_id, sources,
                                      {e.spec.name: e.spec.version for e in registry.entries()})
    await dead_letters.start()
    worker = AnalysisWorker(
        settings=settings, registry=registry, nc=nc, executor=executor,
        slots=[s for s in (slots, small_slots, reserve_slots) if s is not None], dispatchers=dispatchers,
        in_flight=in_flight, dead_letters=dead_letters, channels=channels,
        background=[*(asyncio.create_task(d.export_stats(), name="consumer-stats") for d in dispatchers),
                    *served.background],
        grpc=served.grpc, engine=served.engine, closers=served.closers,
    )
    worker.loops = [asyncio.create_task(d.run(), name="dispatch") for d in dispatchers]
    if settings.worker_slot:  # the predecessor in the slot is gone: its attempts run again now
        worker.background.append(asyncio.create_task(release_predecessors(jobs, settings.worker_slot, boot),
                                                     name="release-slot"))
    logger.info("analysis worker started", extra={"analyzers": registry.names(),
                                                  "concurrency": settings.worker_concurrency,
                                                  "small_concurrency": settings.worker_small_concurrency})
    return worker


def fetch_loops(nc: Client, sources: Sequence[WorkSource], settings: AnalysisSettings, registry: Registry,
                slots: Slots, small_slots: Slots | None, handler: Handler, in_flight: set[asyncio.Task[None]],
                breakers: Breakers, reserve_slots: Slots | None = None) -> list[WorkDispatcher]:
    """The worker's fetch loops: one over the ordinary slots; with ``small_slots``, one more over them
    for the analyzers whose inline texts are small work (their sources then only there); with
    ``reserve_slots``, one over those analyzers' top-priority sources alone, so a job sent ahead of the
    backlog is fetched while every small slot is taken (its attempt then takes a spare lane of the small
    attempts' queue when its tenant has nothing running here, ``fair_queue``)."""
    batching = {e.spec.name for e in registry.entries() if e.spec.batch_inline_text} if small_slots else set()
    ordinary = [source for source in sources if source.analyzer not in batching]
    small = [source for source in sources if source.analyzer in batching]
    loops = [WorkDispatcher(nc, ordinary, settings, slots, handler, in_flight, breakers)] if ordinary else []
    if small and small_slots is not None:
        loops.append(WorkDispatcher(nc, small, settings, small_slots, handler, in_flight, breakers,
                                    capacity=settings.worker_small_concurrency, name="small"))
        top = [source for source in small if source.priority == MAX_PRIORITY]
        if reserve_slots is not None and top:
            loops.append(WorkDispatcher(nc, top, settings, reserve_slots, handler, in_flight, breakers,
                                        capacity=reserve_slots.capacity, stats=False, name="reserve"))
    return loops
