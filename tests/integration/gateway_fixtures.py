"""Fixtures of the REST gateway tests: the jobs service in-process, the app on channels to it.

Ingest and analysis are stood in for by small gRPC servers (health only, plus a recording
IngestService) so the gateway's translation can be checked before those services exist.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc
import httpx
import pytest
from fastapi import FastAPI
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from harness import Postgres
from harness.jobs import SERVICE_KEYS, JobsService, fresh_database, start_jobs

from assay.common.auth import mint_token
from assay.common.grpc_client import open_channel
from assay.common.migrations import upgrade
from assay.gateway.app import create_app
from assay.gateway.config import GatewaySettings
from assay.gateway.upstream import Channels
from assay.jobs.config import JobsSettings
from assay.jobs.migrations import SCRIPT_LOCATION as MIGRATIONS
from assay.v1 import ingest_service_pb2, ingest_service_pb2_grpc, job_pb2
from assay.v1 import job_execution_service_pb2 as ex


class RecordingIngest(ingest_service_pb2_grpc.IngestServiceServicer):
    """Stands in for ingest: records what the gateway streams and answers like ingest would."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def SubmitDocument(self, request_iterator: Any, context: grpc.aio.ServicerContext) -> Any:
        self.messages = [message async for message in request_iterator]
        header = self.messages[0].header
        size = sum(len(m.chunk) for m in self.messages[1:])
        job = job_pb2.Job(id="00000000-0000-4000-8000-000000000001", tenant_id="acme", analyzer=header.analyzer,
                          state=job_pb2.Job.STATE_QUEUED, params=header.params,
                          inputs=job_pb2.JobInputs(file_ids=["00000000-0000-4000-8000-0000000000f1"]))
        return ingest_service_pb2.SubmitDocumentResponse(job=job, file=ingest_service_pb2.File(
            id="00000000-0000-4000-8000-0000000000f1", display_name=header.file.display_name, size_bytes=size))

    async def UploadFile(self, request_iterator: Any, context: grpc.aio.ServicerContext) -> Any:
        self.messages = [message async for message in request_iterator]
        header = self.messages[0].header
        size = sum(len(m.chunk) for m in self.messages[1:])
        return ingest_service_pb2.UploadFileResponse(file=ingest_service_pb2.File(
            id="00000000-0000-4000-8000-0000000000f2", tenant_id="acme", display_name=header.display_name,
            media_type=header.media_type or "text/plain", size_bytes=size,
            scan_status=ingest_service_pb2.File.SCAN_STATUS_UNSCANNED))


@dataclass
class StandIn:
    """A tiny gRPC server answering health checks (and ingest calls, when given a servicer)."""

    server: grpc.aio.Server
    health: health.aio.HealthServicer
    address: str

    async def set_serving(self, serving: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        await self.health.set("", status)


async def start_stand_in(ingest: RecordingIngest | None = None) -> StandIn:
    server = grpc.aio.server()
    servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    if ingest is not None:
        ingest_service_pb2_grpc.add_IngestServiceServicer_to_server(ingest, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    await servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    return StandIn(server, servicer, f"127.0.0.1:{port}")


@dataclass
class Gateway:
    """The gateway app over the in-process jobs service, and helpers to call it."""

    app: FastAPI
    client: httpx.AsyncClient
    jobs: JobsService
    ingest: RecordingIngest
    stand_ins: dict[str, StandIn]
    channels: Channels
    extra: list[Any] = field(default_factory=list)

    def auth(self, tenant: str = "acme", roles: Iterable[str] = ("user",), subject: str = "alice") -> dict[str, str]:
        token = mint_token(self.jobs.settings, subject=subject, tenant=tenant, roles=roles)
        return {"Authorization": f"Bearer {token}"}

    def client_for(self, app: FastAPI) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")
        self.extra.append(client)
        return client


async def drive_to_success(gateway: Gateway, job_id: str) -> None:
    """Start, heartbeat (progress 50) and complete attempt 1 of acme's job as a worker would."""
    worker, capability = gateway.jobs.worker, gateway.jobs.capability("acme", job_id)
    started = await gateway.jobs.execution.StartJob(ex.StartJobRequest(
        id=job_id, tenant_id="acme", attempt=1, analyzer_version="1.0.0", capability=capability), metadata=worker)
    assert started.decision == ex.StartJobResponse.DECISION_RUN
    await gateway.jobs.execution.Heartbeat(ex.HeartbeatRequest(
        id=job_id, tenant_id="acme", attempt=1, progress=50, capability=capability), metadata=worker)
    await gateway.jobs.execution.CompleteJob(
        ex.CompleteJobRequest(id=job_id, tenant_id="acme", attempt=1, capability=capability), metadata=worker)


def gateway_settings(**overrides: Any) -> GatewaySettings:
    return GatewaySettings(sse_heartbeat_seconds=0.2, **overrides)


@asynccontextmanager
async def gateway_over(jobs_addr: str, ingest_addr: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the gateway app over real jobs and ingest services (analysis: jobs' address,
    only asked by /readyz)."""
    channels = Channels(open_channel(jobs_addr), open_channel(ingest_addr), open_channel(jobs_addr))
    app = create_app(gateway_settings(**overrides), channels)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
            yield client
    finally:
        await channels.close()


@pytest.fixture(scope="module")
async def gateway(postgres: Postgres, nats_server: Any) -> AsyncIterator[Gateway]:
    """A jobs service on a fresh database, stand-in ingest/analysis, and the gateway app over them."""
    url = fresh_database(postgres, "gateway")
    upgrade(MIGRATIONS, url, "jobs")
    jobs = await start_jobs(JobsSettings(
        database_url=url, nats_url=nats_server.url, grpc_host="127.0.0.1", grpc_port=0,
        **SERVICE_KEYS, lease_seconds=5.0, outbox_poll_seconds=0.2,
        ingest_addr="127.0.0.1:1",
    ))
    ingest = RecordingIngest()
    stand_ins = {"ingest": await start_stand_in(ingest), "analysis": await start_stand_in()}
    channels = Channels(open_channel(f"127.0.0.1:{jobs.server.port}"), open_channel(stand_ins["ingest"].address),
                        open_channel(stand_ins["analysis"].address))
    app = create_app(gateway_settings(), channels)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")
    found = Gateway(app, client, jobs, ingest, stand_ins, channels)
    yield found
    for extra in found.extra:
        await extra.aclose()
    await client.aclose()
    await channels.close()
    for stand_in in stand_ins.values():
        await stand_in.server.stop(0)
    await jobs.channel.close()
    await jobs.server.stop(1.0)
