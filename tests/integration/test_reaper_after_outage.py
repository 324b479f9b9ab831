"""A lease that ran out while the database was down is not settled the moment it is back (issue 20):
the worker, alive all along, could not renew it; it renews it with its next Heartbeat and its attempt
ends SUCCEEDED on attempt 1 instead of being re-queued under it and run again.

Runs on a PostgreSQL of its own (stopped and restarted here), never the session's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import grpc
import pytest
from harness.jobs import SERVICE_KEYS, JobsService, fresh_database, start_jobs
from harness.waiting import eventually
from test_jobs_lifecycle import complete, create, get, start

from assay.common.migrations import upgrade
from assay.devstack.servers.postgres import PostgresServer
from assay.jobs.config import JobsSettings
from assay.jobs.migrations import SCRIPT_LOCATION as MIGRATIONS
from assay.v1 import job_execution_service_pb2 as ex
from assay.v1 import job_pb2

pytestmark = pytest.mark.integration
LEASE = 4.0
"""Also the reaper's grace and its calm after an outage."""


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="module")
async def reaped_jobs(own_postgres, nats_server) -> AsyncIterator[JobsService]:  # type: ignore[no-untyped-def]
    url = fresh_database(own_postgres, "reaper")
    upgrade(MIGRATIONS, url, "jobs")
    service = await start_jobs(JobsSettings(
        database_url=url, nats_url=nats_server.url, grpc_host="127.0.0.1", grpc_port=0, **SERVICE_KEYS,
        lease_seconds=LEASE, reaper_interval_seconds=0.2, outbox_poll_seconds=0.2, ingest_addr="127.0.0.1:1",
        job_cache_bytes=0, database_probe_seconds=0.2, database_probe_timeout_seconds=0.5))
    yield service
    await service.channel.close()
    await service.server.stop(1.0)


async def test_a_lease_that_expired_during_an_outage_is_renewed_by_its_live_worker(reaped_jobs, own_postgres):
    job = await create(reaped_jobs)
    started = await start(reaped_jobs, job)
    assert started.decision == ex.StartJobResponse.DECISION_RUN
    await asyncio.to_thread(own_postgres.stop)
    try:
        await asyncio.sleep(2 * LEASE + 1)  # the outage itself: the lease and its grace run out meanwhile
    finally:
        await asyncio.to_thread(own_postgres.start)
    back = time.monotonic()

    async def readable() -> job_pb2.Job:
        return await get(reaped_jobs, job)

    await eventually(readable, timeout=15, retry_on=(grpc.aio.AioRpcError,))
    # The worker's next heartbeat comes within its interval (at most half the lease) of jobs answering.
    await asyncio.sleep(max(0.0, back + LEASE / 2 - time.monotonic()))
    running = await get(reaped_jobs, job)
    assert (running.state, running.attempt) == (job_pb2.Job.STATE_RUNNING, 1), running.error
    await reaped_jobs.execution.Heartbeat(ex.HeartbeatRequest(
        id=job.id, tenant_id=job.tenant_id, attempt=1, progress=50,
        capability=reaped_jobs.capability(job.tenant_id, job.id)), metadata=reaped_jobs.worker)
    done = (await complete(reaped_jobs, job, 1)).job
    assert (done.state, done.attempt) == (job_pb2.Job.STATE_SUCCEEDED, 1)


async def test_a_silent_worker_s_lease_is_still_settled_after_the_calm(reaped_jobs):
    job = await create(reaped_jobs)
    assert (await start(reaped_jobs, job)).decision == ex.StartJobResponse.DECISION_RUN

    async def requeued() -> job_pb2.Job | None:
        current = await get(reaped_jobs, job)
        return current if current.state == job_pb2.Job.STATE_QUEUED else None

    settled = await eventually(requeued, timeout=4 * LEASE + 10)
    assert settled.error.code == "LEASE_EXPIRED"
