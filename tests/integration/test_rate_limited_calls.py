"""Rate limits on a real jobs service: per tenant over gRPC, 429 with the RateLimit fields over REST."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from gateway_fixtures import gateway_over
from harness import Postgres
from harness.jobs import JobsService, jobs_on_fresh_database

from assay.common.errors import details_from_rpc_error
from assay.v1 import job_execution_service_pb2 as ex
from assay.v1 import jobs_service_pb2 as js


@pytest.fixture(scope="module")
async def limited_jobs(postgres: Postgres, nats_server) -> AsyncIterator[JobsService]:  # type: ignore[no-untyped-def]
    async with jobs_on_fresh_database(postgres, nats_server.url, "rates", rate_limit_tenant="flood=0.01,rest=0.01",
                                      rate_limit_burst_seconds=300) as service:
        yield service


async def get_usage(service: JobsService, tenant: str) -> js.GetUsageResponse:
    return await service.jobs.GetUsage(js.GetUsageRequest(), metadata=service.token(tenant=tenant))


async def test_a_tenant_over_its_rate_is_refused_while_another_tenant_and_workers_go_on(
    limited_jobs: JobsService,
) -> None:
    for _ in range(3):  # a burst of 0.01/s for 300 s
        await get_usage(limited_jobs, "flood")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await get_usage(limited_jobs, "flood")

    details = details_from_rpc_error(refused.value)
    assert (details.code, details.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMITED")
    assert details.metadata["rate_limit"] == "tenant" and details.metadata["limit"] == "3"
    assert int(details.metadata["retry_after_seconds"]) > 0
    for _ in range(10):
        await get_usage(limited_jobs, "other")  # no rate for this tenant
    # worker RPCs are never rate limited (a flood of one tenant must not stall its running jobs' reports)
    with pytest.raises(grpc.aio.AioRpcError) as worker_call:
        await limited_jobs.execution.StartJob(ex.StartJobRequest(
            id="00000000-0000-4000-8000-000000000000", tenant_id="flood", attempt=1, analyzer_version="1",
            capability=limited_jobs.capability("flood", "00000000-0000-4000-8000-000000000000")),
            metadata=limited_jobs.worker)
    assert worker_call.value.code() == grpc.StatusCode.NOT_FOUND


async def test_rest_answers_429_with_retry_after_and_the_ratelimit_fields(limited_jobs: JobsService) -> None:
    async with gateway_over(f"127.0.0.1:{limited_jobs.server.port}", "127.0.0.1:1") as client:
        headers = {"Authorization": limited_jobs.token(tenant="rest")[0][1]}
        statuses = [(await client.get("/v1/usage", headers=headers)).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        refused = await client.get("/v1/usage", headers=headers)

    assert refused.status_code == 429
    assert refused.json()["code"] == "RATE_LIMITED"
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.headers["RateLimit-Policy"] == '"tenant";q=3;w=300'
    assert refused.headers["RateLimit"].startswith('"tenant";r=0;t=')
