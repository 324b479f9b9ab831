"""An analysis process started while NATS is down (issue 20) serves AnalysisService and IndexService
(Ask needs no NATS) and starts consuming once NATS is back. Before, its gRPC server started only
after NATS's first connection, which retries for ever: restarted during a NATS outage it answered
nothing (and ``assay dev`` killed it as not ready after 60 s, again and again).

The worker's NATS is one of its own, started late here; jobs keeps the stack's.
"""

# ruff: noqa: F811
from __future__ import annotations

import asyncio

import pytest
from worker_fixtures import Stack, stack  # noqa: F401 - fixture

from assay.common.auth import mint_token
from assay.common.grpc_client import bearer, open_channel
from assay.devstack.servers import free_port
from assay.devstack.servers.nats import NatsServer
from assay.v1 import analysis_service_pb2, analysis_service_pb2_grpc

pytestmark = pytest.mark.integration


async def test_a_worker_started_while_nats_is_down_serves_and_consumes_once_nats_is_back(stack: Stack) -> None:
    nats_port, grpc_port = free_port(), free_port()
    settings = stack.worker_settings(nats_url=f"nats://127.0.0.1:{nats_port}", grpc_port=grpc_port)
    starting = asyncio.create_task(stack.start_worker(nats_url=settings.nats_url, grpc_port=grpc_port))
    channel = open_channel(f"127.0.0.1:{grpc_port}")
    try:
        token = mint_token(settings, subject="reader", tenant="acme", roles=["readonly"])
        stub = analysis_service_pb2_grpc.AnalysisServiceStub(channel)
        listed = await stub.ListAnalyzers(analysis_service_pb2.ListAnalyzersRequest(), metadata=bearer(token),
                                          wait_for_ready=True, timeout=20)
        assert [a.name for a in listed.analyzers] == ["sentiment"]
        assert not starting.done(), "still waiting for NATS"
        with NatsServer(server_name="assay-late", port=nats_port):
            worker = await asyncio.wait_for(starting, timeout=30)
            await worker.stop(1.0)
    finally:
        if not starting.done():
            starting.cancel()
        await channel.close()
