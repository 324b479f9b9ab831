"""Dead letters listed and redriven, RetryJob of failed and cancelled jobs: gRPC and REST, real
PostgreSQL and NATS."""

from __future__ import annotations

import grpc
import pytest
from gateway_fixtures import gateway_over
from harness.jobs import JobsService
from tenancy_fixtures import create, dead_letter

from assay.common.errors import details_from_rpc_error
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job
ADMIN = ("user", "admin")


async def listed(service: JobsService, tenant: str, **filters: object) -> list[str]:
    response = await service.jobs.ListJobs(js.ListJobsRequest(**filters),  # type: ignore[arg-type]
                                           metadata=service.token(tenant=tenant))
    return [job.id for job in response.jobs]


async def test_dead_letters_are_listed_by_error_code_and_redriven_by_an_admin(jobs_service: JobsService) -> None:
    tenant = "dlq"
    dead = [await dead_letter(jobs_service, tenant) for _ in range(2)]
    other_failure = await create(jobs_service, tenant)
    await jobs_service.jobs.CancelJob(js.CancelJobRequest(id=other_failure.id), metadata=jobs_service.token(tenant))

    assert set(await listed(jobs_service, tenant, state=Job.STATE_FAILED, error_code="DEAD_LETTERED")) == \
        {job.id for job in dead}

    with pytest.raises(grpc.aio.AioRpcError) as not_admin:
        await jobs_service.jobs.RedriveJobs(js.RedriveJobsRequest(error_code="DEAD_LETTERED"),
                                            metadata=jobs_service.token(tenant=tenant))
    assert not_admin.value.code() == grpc.StatusCode.PERMISSION_DENIED

    response = await jobs_service.jobs.RedriveJobs(js.RedriveJobsRequest(error_code="DEAD_LETTERED"),
                                                   metadata=jobs_service.token(tenant=tenant, roles=ADMIN))
    assert [job.id for job in response.retried] == [job.id for job in dead]  # oldest first
    assert all(job.state == Job.STATE_QUEUED and job.max_attempts == 2 for job in response.retried)
    assert not response.refused
    assert await listed(jobs_service, tenant, state=Job.STATE_FAILED, error_code="DEAD_LETTERED") == []


async def test_redrive_refuses_a_filter_that_names_no_ended_state(jobs_service: JobsService) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await jobs_service.jobs.RedriveJobs(js.RedriveJobsRequest(state=Job.STATE_RUNNING, limit=5000),
                                            metadata=jobs_service.token(roles=ADMIN))
    details = details_from_rpc_error(refused.value)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert {v.field for v in details.violations} == {"state", "limit"}


async def test_retry_job_accepts_a_cancelled_job_as_its_contract_says(jobs_service: JobsService) -> None:
    job = await create(jobs_service, "acme")
    await jobs_service.jobs.CancelJob(js.CancelJobRequest(id=job.id), metadata=jobs_service.token())
    retried = await jobs_service.jobs.RetryJob(js.RetryJobRequest(id=job.id),
                                               metadata=jobs_service.token(roles=ADMIN))
    assert retried.job.state == Job.STATE_QUEUED and not retried.job.cancel_requested


async def test_rest_retry_and_redrive_and_the_dead_letter_listing(jobs_service: JobsService) -> None:
    tenant = "restdlq"
    first, second = await dead_letter(jobs_service, tenant), await dead_letter(jobs_service, tenant)
    async with gateway_over(f"127.0.0.1:{jobs_service.server.port}", "127.0.0.1:1") as client:
        admin = {"Authorization": jobs_service.token(tenant=tenant, roles=ADMIN)[0][1]}
        user = {"Authorization": jobs_service.token(tenant=tenant)[0][1]}
        listing = await client.get("/v1/jobs", params={"state": "failed", "error_code": "DEAD_LETTERED"}, headers=user)
        assert {job["id"] for job in listing.json()["jobs"]} == {first.id, second.id}

        forbidden = await client.post(f"/v1/jobs/{first.id}:retry", headers=user)
        assert forbidden.status_code == 403
        retried = await client.post(f"/v1/jobs/{first.id}:retry", headers=admin)
        assert retried.status_code == 200 and retried.json()["state"] == "STATE_QUEUED"
        again = await client.post(f"/v1/jobs/{first.id}:retry", headers=admin)
        assert again.status_code == 409 and again.json()["code"] == "JOB_NOT_FAILED"

        redriven = await client.post("/v1/jobs:redrive", headers=admin,
                                     json={"error_code": "DEAD_LETTERED", "analyzer": "sentiment", "limit": 5})
        assert redriven.status_code == 200
        assert [job["id"] for job in redriven.json()["retried"]] == [second.id]
        bad = await client.post("/v1/jobs:redrive", headers=admin, json={"limit": "many"})
        assert bad.status_code == 400
