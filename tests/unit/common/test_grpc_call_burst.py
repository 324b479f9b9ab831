"""A burst of calls larger than gRPC's default pending-call bound is served, not cancelled.

gRPC core keeps the calls a server has received but its event loop has not yet taken in a pending
queue, and by default cancels new ones at random once that queue holds 1,000 (all of them at 3,000):
the client sees ``CANCELLED`` for a call nobody cancelled. ``bench_worker.py`` with 2,000+
simultaneous CreateJob calls failed that way. ``ASSAY_GRPC_MAX_PENDING_CALLS`` sets the bound.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from assay.common.config import CommonSettings
from assay.common.grpc_server import REBALANCE_AFTER_MS, grpc_server_options, start_grpc_server

BURST = 3000


async def burst_codes(settings: CommonSettings, calls: int) -> Counter[str]:
    server = await start_grpc_server(settings, lambda _server: [])
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)

            async def check() -> str:
                try:
                    await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=60)
                except grpc.aio.AioRpcError as error:
                    return error.code().name
                return "OK"

            return Counter(await asyncio.gather(*(check() for _ in range(calls))))
    finally:
        await server.stop(0)


async def test_a_burst_of_simultaneous_calls_is_served_whole() -> None:
    settings = CommonSettings(grpc_host="127.0.0.1", grpc_port=0, metrics_port=-1, jwt_hs256_secret="x" * 32)
    assert await burst_codes(settings, BURST) == Counter({"OK": BURST})


def test_the_pending_call_bound_is_the_setting_without_random_early_refusals() -> None:
    options = dict(grpc_server_options(CommonSettings(grpc_max_pending_calls=12_345)))
    assert options["grpc.server.max_pending_requests"] == 12_345
    assert options["grpc.server.max_pending_requests_hard_limit"] == 12_345


def test_only_processes_sharing_a_port_age_their_connections() -> None:
    """Connections to one of several processes on a port are re-spread by a GOAWAY at an age (with no
    grace limit, so streams finish); a single process keeps its connections and the port to itself."""
    shared = dict(grpc_server_options(CommonSettings(grpc_reuse_port=True)))
    assert (shared["grpc.so_reuseport"], shared["grpc.max_connection_age_ms"]) == (1, REBALANCE_AFTER_MS)
    assert "grpc.max_connection_age_grace_ms" not in shared
    alone = dict(grpc_server_options(CommonSettings()))
    assert alone["grpc.so_reuseport"] == 0 and "grpc.max_connection_age_ms" not in alone
