"""Per-tenant job quotas over gRPC on a real PostgreSQL and NATS: refusals and GetUsage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from gateway_fixtures import gateway_over
from harness import Postgres
from harness.jobs import JobsService, jobs_on_fresh_database

from assay.common.errors import details_from_rpc_error
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js


@pytest.fixture(scope="module")
async def quota_jobs(postgres: Postgres, nats_server) -> AsyncIterator[JobsService]:  # type: ignore[no-untyped-def]
    async with jobs_on_fresh_database(postgres, nats_server.url, "quota", quota_jobs_per_day="daily=3",
                                      quota_max_queued="*=5,queued=2", dispatch_backlog=1) as service:
        yield service


def job_request(request_id: str = "") -> js.CreateJobRequest:
    return js.CreateJobRequest(analyzer="sentiment", inputs=job_pb2.JobInputs(text="fine"), request_id=request_id)


async def create(service: JobsService, tenant: str, request_id: str = "") -> job_pb2.Job:
    return (await service.jobs.CreateJob(job_request(request_id), metadata=service.token(tenant=tenant))).job


def error_info(error: grpc.aio.AioRpcError) -> dict[str, str]:
    details = details_from_rpc_error(error)
    return {"reason": details.reason, **details.metadata}


async def usage(service: JobsService, tenant: str) -> dict[str, js.QuotaUsage]:
    response = await service.jobs.GetUsage(js.GetUsageRequest(), metadata=service.token(tenant=tenant))
    return {quota.quota: quota for quota in response.quotas}


async def test_the_job_over_the_daily_quota_is_refused_with_quota_limit_usage_and_retry_after(
    quota_jobs: JobsService,
) -> None:
    first = await create(quota_jobs, "daily", request_id="daily-1")
    for _ in range(2):
        await create(quota_jobs, "daily")

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await create(quota_jobs, "daily")

    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    info = error_info(refused.value)
    assert info["reason"] == "QUOTA_EXCEEDED"
    assert (info["quota"], info["limit"], info["usage"]) == ("jobs_per_day", "3", "3")
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    assert abs(int(info["retry_after_seconds"]) - (midnight - datetime.now(UTC)).total_seconds()) < 60
    assert "3 of its 3 jobs per day" in (refused.value.details() or "")
    # nothing half-written: still three jobs, and a repeated request_id is answered, not refused
    assert (await usage(quota_jobs, "daily"))["jobs_per_day"].used == 3
    assert (await create(quota_jobs, "daily", request_id="daily-1")).id == first.id


async def test_queued_jobs_over_the_limit_are_refused_until_one_leaves_the_queue(quota_jobs: JobsService) -> None:
    jobs = [await create(quota_jobs, "queued") for _ in range(2)]
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await create(quota_jobs, "queued")
    info = error_info(refused.value)
    assert (info["quota"], info["limit"], info["usage"]) == ("max_queued", "2", "2")
    assert "retry_after_seconds" not in info  # no wait is known to help

    await quota_jobs.jobs.CancelJob(js.CancelJobRequest(id=jobs[0].id), metadata=quota_jobs.token(tenant="queued"))
    assert (await create(quota_jobs, "queued")).state == job_pb2.Job.STATE_QUEUED


async def test_a_pipeline_over_the_queue_limit_is_refused_whole(quota_jobs: JobsService) -> None:
    step = js.PipelineJob(key="a", job=job_request())
    request = js.CreatePipelineRequest(jobs=[
        step, js.PipelineJob(key="b", job=job_request()), js.PipelineJob(key="c", job=job_request())])
    token = quota_jobs.token(tenant="pipes")
    await quota_jobs.jobs.CreatePipeline(js.CreatePipelineRequest(jobs=[step]), metadata=token)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await quota_jobs.jobs.CreatePipeline(
            js.CreatePipelineRequest(jobs=[*request.jobs, js.PipelineJob(key="d", job=job_request()),
                                           js.PipelineJob(key="e", job=job_request())]), metadata=token)
    assert error_info(refused.value)["quota"] == "max_queued"
    assert (await usage(quota_jobs, "pipes"))["max_queued"].used == 1


async def test_concurrent_creates_never_pass_the_limit_together(quota_jobs: JobsService) -> None:
    results = await asyncio.gather(*(create(quota_jobs, "racing") for _ in range(8)), return_exceptions=True)
    created = [r for r in results if isinstance(r, job_pb2.Job)]
    assert len(created) == 5  # the "*" limit of max_queued
    assert all(isinstance(r, grpc.aio.AioRpcError) and r.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
               for r in results if not isinstance(r, job_pb2.Job))


async def test_usage_lists_every_quota_with_its_limit_or_none(quota_jobs: JobsService) -> None:
    await create(quota_jobs, "reader")
    quotas = await usage(quota_jobs, "reader")
    assert set(quotas) == {"jobs_per_day", "max_queued"}
    assert (quotas["jobs_per_day"].used, quotas["jobs_per_day"].limit) == (1, 0)
    assert quotas["jobs_per_day"].resets_at.ToDatetime(UTC).hour == 0
    assert (quotas["max_queued"].used, quotas["max_queued"].limit) == (1, 5)
    assert not quotas["max_queued"].HasField("resets_at")


async def test_rest_answers_429_problem_with_quota_members_and_retry_after_and_serves_usage(
    quota_jobs: JobsService,
) -> None:
    async with gateway_over(f"127.0.0.1:{quota_jobs.server.port}", "127.0.0.1:1") as client:
        token = quota_jobs.token(tenant="daily")  # three jobs already today (the first test)
        headers = {"Authorization": token[0][1]}
        refused = await client.post("/v1/jobs", headers=headers,
                                    json={"analyzer": "sentiment", "inputs": {"text": "one more"}})
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert (problem["code"], problem["grpc_code"]) == ("QUOTA_EXCEEDED", "RESOURCE_EXHAUSTED")
        assert (problem["quota"], problem["limit"], problem["usage"]) == ("jobs_per_day", 3, 3)
        assert 0 < int(refused.headers["Retry-After"]) <= 86_400

        usage_response = await client.get("/v1/usage", headers=headers)
        assert usage_response.status_code == 200
        quotas = {q["quota"]: q for q in usage_response.json()["quotas"]}
        assert quotas["jobs_per_day"]["used"] in (3, "3") and quotas["jobs_per_day"]["limit"] in (3, "3")
