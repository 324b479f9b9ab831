"""The one gRPC server bootstrap: health, reflection, interceptors, and a graceful SIGTERM drain."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from sqlalchemy.ext.asyncio import AsyncEngine

from assay.common.auth import TokenVerifier, WorkerVerifier
from assay.common.config import CommonSettings, DatabaseSettings
from assay.common.db_health import DatabaseReadiness
from assay.common.grpc_limits import MESSAGE_SIZE_OPTIONS
from assay.common.interceptors import ServerInterceptor
from assay.common.rate_limit_interceptor import RateLimitInterceptor
from assay.common.rate_limits import RateLimiter
from assay.common.schema_revision import SchemaRevision
from assay.common.server_spans import ServerSpanInterceptor

logger = logging.getLogger(__name__)

LIVENESS_SERVICE = "assay.liveness"
"""gRPC health name that is SERVING for as long as the process serves (liveness probes ask for it);
the server's own name ``""`` and each service's name are readiness: NOT_SERVING while a dependency
the service needs (its database, a worker's jobs/ingest/S3) is unreachable."""

class RunningService(Protocol):
    """What every service's ``server.start(settings, **overrides)`` returns."""

    @property
    def port(self) -> int:
        """The bound gRPC port (0 when the process serves no gRPC)."""

    async def stop(self, grace: float | None = None) -> None:
        """Drain for ``grace`` seconds (default: the settings' shutdown grace), then release everything."""


@dataclass
class GrpcServer:
    """A started ``grpc.aio`` server with its health servicer, bound port and shutdown hooks."""

    server: grpc.aio.Server
    health: health.aio.HealthServicer
    port: int
    service_names: Sequence[str]
    shutdown_grace_seconds: float = 0.0
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    stopped: bool = False

    async def set_serving(self, serving: bool) -> None:
        """Readiness: every service (and the server, ``""``) SERVING or NOT_SERVING, unless stopping;
        ``LIVENESS_SERVICE`` stays SERVING (a dependency outage must not get the process restarted)."""
        if self.stopped:
            return
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ["", *self.service_names]:
            await self.health.set(name, status)

    def watch_database(self, engine: AsyncEngine, settings: DatabaseSettings,
                       schema: SchemaRevision | None = None) -> DatabaseReadiness:
        """Keep health NOT_SERVING while the database is unreachable (or, with ``schema``, lacks a
        migration the code needs); stopped with the server."""
        readiness = DatabaseReadiness(engine, self.set_serving, settings.database_probe_seconds,
                                      settings.database_probe_timeout_seconds, schema)
        task = asyncio.create_task(readiness.run(), name="database-readiness")

        async def stop_probe() -> None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        self.on_stop.append(stop_probe)  # hooks run in reverse: the probe stops before what was added earlier
        return readiness

    async def stop(self, grace: float | None = None) -> None:
        """Report NOT_SERVING, drain in-flight RPCs for ``grace`` seconds, then run the hooks."""
        if self.stopped:
            return
        self.stopped = True
        await self.health.enter_graceful_shutdown()
        await self.server.stop(self.shutdown_grace_seconds if grace is None else grace)
        for hook in reversed(self.on_stop):
            await hook()


REBALANCE_AFTER_MS = 30_000
"""The age at which a connection to one of several processes sharing a port is asked to reconnect."""


def grpc_server_options(settings: CommonSettings) -> list[tuple[str, int]]:
    """The server's channel options: message sizes, port sharing only among one service's serving
    processes (``grpc_reuse_port``, with connections aged so that they spread again), and the
    pending-call bound.

    gRPC core queues calls that arrive faster than the event loop takes them up, and past
    ``grpc.server.max_pending_requests`` (default 1,000) cancels new ones at random, all of them at
    the hard limit (default 3,000): a burst of simultaneous calls got CANCELLED although the server
    would have served them. Both bounds are ``grpc_max_pending_calls``: no random refusals below it.
    """
    return [
        *MESSAGE_SIZE_OPTIONS,
        ("grpc.so_reuseport", int(settings.grpc_reuse_port)),
        # Processes sharing the port get connections, not calls: a client's connections made while
        # one process was starting (or restarting) would stay with the others for good. A GOAWAY
        # after this age has clients reconnect, spread again; calls in flight and streams finish
        # (no grace limit: WatchJob is never cut).
        *([("grpc.max_connection_age_ms", REBALANCE_AFTER_MS)] if settings.grpc_reuse_port else []),
        ("grpc.server.max_pending_requests", settings.grpc_max_pending_calls),
        ("grpc.server.max_pending_requests_hard_limit", settings.grpc_max_pending_calls),
    ]


async def start_grpc_server(
    settings: CommonSettings,
    register: Callable[[grpc.aio.Server], Sequence[str]],
) -> GrpcServer:
    """Build, bind and start a server; ``register`` adds servicers and returns their full names."""
    auth = ServerInterceptor(TokenVerifier(settings), settings.refused_stream_drain_bytes,
                             WorkerVerifier(settings) if settings.worker_secret else None)
    limiter = RateLimiter.from_settings(settings)
    server = grpc.aio.server(
        # Rate limits first, so a refused call costs no span and runs no service code; then tracing,
        # so the auth/error interceptor and the handler run inside the server span.
        interceptors=[
            *([RateLimitInterceptor(limiter, auth.tenant_verifier, settings.refused_stream_drain_bytes)]
              if limiter.enabled else []),
            ServerSpanInterceptor(),
            auth,
        ],
        options=grpc_server_options(settings),
    )
    names = list(register(server))
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    if settings.grpc_reflection:  # unauthenticated by nature: off in production (ASSAY_GRPC_REFLECTION)
        reflection.enable_server_reflection(
            [*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server
        )
    port = server.add_insecure_port(f"{settings.grpc_host}:{settings.grpc_port}")
    await server.start()
    for name in ["", *names, LIVENESS_SERVICE]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    logger.info("grpc server started", extra={"port": port, "services": names})
    return GrpcServer(server=server, health=health_servicer, port=port, service_names=names,
                      shutdown_grace_seconds=settings.shutdown_grace_seconds)


async def wait_for_shutdown_signal() -> None:
    """Return when SIGTERM or SIGINT arrives."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()
    logger.info("shutdown signal received")
