"""A PostgreSQL outage (issue 20.5): UNAVAILABLE (not UNKNOWN), gRPC health NOT_SERVING while the
database is unreachable, recovery once it is back, and a worker's CompleteJob carried through.

Runs on a PostgreSQL of its own (stopped and restarted here), never the session's.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from harness.jobs import SERVICE_KEYS, JobsService, fresh_database, start_jobs
from harness.waiting import eventually
from test_jobs_lifecycle import create, get, start

from assay.analysis.jobs_client import JobsClient
from assay.analysis.metrics import DEPENDENCY_RETRIES
from assay.analysis.resilience import Backoff
from assay.common.db_health import DATABASE_UNAVAILABLE
from assay.common.errors import details_from_rpc_error
from assay.common.grpc_server import LIVENESS_SERVICE
from assay.common.migrations import upgrade
from assay.devstack.servers.postgres import PostgresServer
from assay.jobs.config import JobsSettings
from assay.jobs.migrations import SCRIPT_LOCATION as MIGRATIONS
from assay.v1 import job_execution_service_pb2 as ex
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js

pytestmark = pytest.mark.integration
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="module")
async def outage_jobs(own_postgres, nats_server) -> AsyncIterator[JobsService]:  # type: ignore[no-untyped-def]
    url = fresh_database(own_postgres, "outage")
    upgrade(MIGRATIONS, url, "jobs")
    settings = JobsSettings(
        database_url=url, nats_url=nats_server.url, grpc_host="127.0.0.1", grpc_port=0, **SERVICE_KEYS,
        lease_seconds=30.0, reaper_interval_seconds=0.5, outbox_poll_seconds=0.2, ingest_addr="127.0.0.1:1",
        job_cache_bytes=0, database_probe_seconds=0.2, database_probe_timeout_seconds=0.5,
    )
    service = await start_jobs(settings)
    yield service
    await service.channel.close()
    await service.server.stop(1.0)


async def _health(service: JobsService, name: str = "") -> int:
    stub = health_pb2_grpc.HealthStub(service.channel)
    response = await stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=2)
    return int(response.status)


async def _stop(server: PostgresServer) -> None:
    await asyncio.to_thread(server.stop)


async def _start(server: PostgresServer) -> None:
    await asyncio.to_thread(server.start)


async def test_an_outage_is_unavailable_and_not_serving_then_recovers(outage_jobs, own_postgres):
    job = await create(outage_jobs)
    assert await _health(outage_jobs) == SERVING
    await _stop(own_postgres)
    try:
        for call in (
            outage_jobs.jobs.CreateJob(js.CreateJobRequest(analyzer="sentiment", inputs=job_pb2.JobInputs(text="x")),
                                       metadata=outage_jobs.token()),
            outage_jobs.jobs.GetJob(js.GetJobRequest(id=job.id), metadata=outage_jobs.token()),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await call
            assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
            assert details_from_rpc_error(raised.value).reason == DATABASE_UNAVAILABLE

        async def not_serving() -> bool:
            return await _health(outage_jobs) == NOT_SERVING == await _health(outage_jobs, "assay.v1.JobService")

        await eventually(not_serving, timeout=10)
        assert await _health(outage_jobs, LIVENESS_SERVICE) == SERVING  # not restarted for an outage
    finally:
        await _start(own_postgres)

    async def serving() -> bool:
        return await _health(outage_jobs) == SERVING

    await eventually(serving, timeout=15)

    async def readable() -> job_pb2.Job:
        return await get(outage_jobs, job)

    await eventually(readable, timeout=10, retry_on=(grpc.aio.AioRpcError,))


async def test_complete_job_is_retried_through_a_short_outage(outage_jobs, own_postgres):
    job = await create(outage_jobs)
    started = await start(outage_jobs, job)
    assert started.decision == ex.StartJobResponse.DECISION_RUN
    worker_token = dict(outage_jobs.worker)["authorization"].removeprefix("Bearer ")
    client = JobsClient(outage_jobs.channel, lambda: worker_token, timeout=2.0, report_budget=60.0,
                        backoff=Backoff(base=0.05, cap=0.5))
    retried = DEPENDENCY_RETRIES.labels(dependency="jobs", call="CompleteJob")
    before = retried._value.get()
    await _stop(own_postgres)
    try:
        completing = asyncio.create_task(client.complete(ex.CompleteJobRequest(
            id=job.id, tenant_id=job.tenant_id, attempt=1, result=job_pb2.JobResult(),
            capability=outage_jobs.capability(job.tenant_id, job.id))))

        async def retried_during_outage() -> bool:
            return retried._value.get() >= before + 2

        await eventually(retried_during_outage, timeout=20)
        assert not completing.done()
    finally:
        await _start(own_postgres)
    response = await asyncio.wait_for(completing, timeout=60)
    assert response.job.state == job_pb2.Job.STATE_SUCCEEDED
    done = await get(outage_jobs, job)
    assert (done.state, done.attempt) == (job_pb2.Job.STATE_SUCCEEDED, 1)
