"""A work message that outlived its job capability still runs its job (issue 20, leftovers item 1).

A capability lives ASSAY_JOB_CAPABILITY_SECONDS; a work message can wait longer (a backlog, no worker
for the analyzer). StartJob accepts a capability that is authentic and names the job and tenant but
has only expired, and answers a fresh one the worker uses from then on; anything else is refused as
before.
"""

from __future__ import annotations

import time
import uuid

import grpc
import jwt
import pytest
from harness import eventually
from harness.jobs import CAPABILITY_SECRET, JobsService
from worker_fixtures import open_stack

from assay.common.capabilities import CAPABILITY_AUDIENCE
from assay.common.errors import details_from_rpc_error
from assay.common.nats import WORK_STREAM, connect, work_subject
from assay.devstack.servers.postgres import Postgres
from assay.v1 import events_pb2, job_pb2
from assay.v1 import job_execution_service_pb2 as ex
from assay.v1 import jobs_service_pb2 as js

pytestmark = pytest.mark.integration
Job = job_pb2.Job


def expired_capability(tenant: str, job_id: str, key: str = CAPABILITY_SECRET) -> str:
    now = int(time.time())
    claims = {"aud": CAPABILITY_AUDIENCE, "sub": job_id, "tenant": tenant, "iat": now - 120, "exp": now - 60,
              "files": []}
    return jwt.encode(claims, key, algorithm="HS256")


async def queued_job(service: JobsService, tenant: str) -> job_pb2.Job:
    created = await service.jobs.CreateJob(js.CreateJobRequest(
        analyzer="sentiment", inputs=job_pb2.JobInputs(text="fine")), metadata=service.token(tenant=tenant))
    return created.job


async def start(service: JobsService, tenant: str, job_id: str, capability: str) -> ex.StartJobResponse:
    response: ex.StartJobResponse = await service.execution.StartJob(ex.StartJobRequest(
        id=job_id, tenant_id=tenant, attempt=1, analyzer_version="1.0.0", capability=capability),
        metadata=service.worker)
    return response


async def test_start_job_renews_an_expired_capability_and_only_the_fresh_one_acts_later(
    jobs_service: JobsService,
) -> None:
    tenant = f"cap-{uuid.uuid4().hex[:8]}"
    job = await queued_job(jobs_service, tenant)
    expired = expired_capability(tenant, job.id)

    started = await start(jobs_service, tenant, job.id, expired)

    assert started.decision == ex.StartJobResponse.DECISION_RUN
    assert started.capability and started.capability != expired
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await jobs_service.execution.Heartbeat(ex.HeartbeatRequest(
            id=job.id, tenant_id=tenant, attempt=started.job.attempt, progress=10, capability=expired),
            metadata=jobs_service.worker)
    assert details_from_rpc_error(refused.value).reason == "CAPABILITY_EXPIRED"
    completed = await jobs_service.execution.CompleteJob(ex.CompleteJobRequest(
        id=job.id, tenant_id=tenant, attempt=started.job.attempt, capability=started.capability,
        result=job_pb2.JobResult()), metadata=jobs_service.worker)
    assert completed.job.state == Job.STATE_SUCCEEDED


async def test_a_valid_capability_gets_no_fresh_one_and_expired_forgeries_are_still_refused(
    jobs_service: JobsService,
) -> None:
    tenant = f"cap-{uuid.uuid4().hex[:8]}"
    job, other = await queued_job(jobs_service, tenant), await queued_job(jobs_service, tenant)
    for capability, reason in (
        (expired_capability(tenant, job.id, key="not-the-capability-key-0123456789abcdef"), "CAPABILITY_INVALID"),
        (expired_capability(tenant, other.id), "CAPABILITY_MISMATCH"),
        (expired_capability("another-tenant", job.id), "CAPABILITY_MISMATCH"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await start(jobs_service, tenant, job.id, capability)
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert details_from_rpc_error(refused.value).reason == reason
    current = await jobs_service.jobs.GetJob(js.GetJobRequest(id=job.id), metadata=jobs_service.token(tenant=tenant))
    assert current.job.state == Job.STATE_QUEUED and current.job.attempt == 0

    started = await start(jobs_service, tenant, job.id, jobs_service.capability(tenant, job.id))
    assert started.decision == ex.StartJobResponse.DECISION_RUN and started.capability == ""


async def test_a_job_whose_work_message_outlived_its_capability_still_succeeds(postgres: Postgres) -> None:
    async with open_stack(postgres, job_capability_seconds=3) as stack:
        job = await stack.create("ok")
        nc = await connect(stack.worker_settings(), "test-capability")
        try:
            stream = nc.jetstream()

            async def written() -> events_pb2.WorkMessage:
                raw = await stream.get_last_msg(WORK_STREAM, work_subject("sentiment", job.priority))
                return events_pb2.WorkMessage.FromString(raw.data or b"")
            message = await eventually(written, timeout=15, retry_on=(Exception,))
        finally:
            await nc.close()
        expiry = jwt.decode(message.capability, options={"verify_signature": False})["exp"]

        async def capability_expired() -> bool:
            return time.time() > expiry + 0.5
        await eventually(capability_expired, timeout=10)

        worker = await stack.start_worker()
        try:
            done = await stack.reaches(job.id, Job.STATE_SUCCEEDED, timeout=20)
            assert done.attempt == 1
        finally:
            await worker.stop(2.0)
