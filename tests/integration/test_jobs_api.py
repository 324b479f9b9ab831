"""JobService's client contract: idempotency, validation, pagination, tenancy and roles."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from test_jobs_lifecycle import create, get, rpc_error

from assay.common.errors import details_from_rpc_error
from assay.v1 import job_execution_service_pb2 as ex
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job


async def test_twenty_concurrent_creates_with_one_request_id_make_one_job(jobs_service):
    jobs = await asyncio.gather(*(create(jobs_service, request_id="order-42") for _ in range(20)))
    assert len({job.id for job in jobs}) == 1
    listed = await jobs_service.jobs.ListJobs(js.ListJobsRequest(page_size=1000), metadata=jobs_service.token())
    assert sum(1 for job in listed.jobs if job.request_id == "order-42") == 1


async def test_reusing_a_request_id_with_a_different_body_is_refused(jobs_service):
    first = await create(jobs_service, text="great", request_id="reused-1")
    error = await rpc_error(create(jobs_service, text="terrible", request_id="reused-1"))
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    details = details_from_rpc_error(error)
    assert details.reason == "REQUEST_ID_REUSED"
    assert (await get(jobs_service, first)).inputs.text == "great"


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"analyzer": "", "inputs": job_pb2.JobInputs(text="x")}, "analyzer"),
        ({"analyzer": "astrology", "inputs": job_pb2.JobInputs(text="x")}, "analyzer"),
        ({"analyzer": "sentiment"}, "inputs"),
        ({"analyzer": "sentiment", "inputs": job_pb2.JobInputs(text="x" * 600)}, "inputs.text"),
        ({"analyzer": "sentiment", "inputs": job_pb2.JobInputs(file_ids=["not-a-uuid"])}, "inputs.file_ids[0]"),
        ({"analyzer": "sentiment", "inputs": job_pb2.JobInputs(text="x"), "priority": 42}, "priority"),
        ({"analyzer": "sentiment", "inputs": job_pb2.JobInputs(text="x"), "request_id": "no spaces"}, "request_id"),
        ({"analyzer": "sentiment", "inputs": job_pb2.JobInputs(text="x"),
          "params": job_pb2.JobParams(contract_review={})}, "params"),
    ],
)
async def test_invalid_create_requests_name_the_offending_field(jobs_service, request_fields, field):
    error = await rpc_error(jobs_service.jobs.CreateJob(js.CreateJobRequest(**request_fields),
                                                        metadata=jobs_service.token()))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = details_from_rpc_error(error)
    assert field in [v.field for v in details.violations]


async def test_a_malformed_job_id_is_invalid_and_an_unknown_one_is_not_found(jobs_service):
    error = await rpc_error(jobs_service.jobs.GetJob(js.GetJobRequest(id="123"), metadata=jobs_service.token()))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in details_from_rpc_error(error).violations] == ["id"]
    error = await rpc_error(jobs_service.jobs.GetJob(
        js.GetJobRequest(id="00000000-0000-4000-8000-000000000000"), metadata=jobs_service.token()))
    assert error.code() == grpc.StatusCode.NOT_FOUND


async def test_another_tenants_job_is_not_found_everywhere_and_absent_from_lists(jobs_service):
    job = await create(jobs_service, tenant="acme")
    other = jobs_service.token(tenant="globex")
    for call in (
        jobs_service.jobs.GetJob(js.GetJobRequest(id=job.id), metadata=other),
        jobs_service.jobs.CancelJob(js.CancelJobRequest(id=job.id), metadata=other),
    ):
        assert (await rpc_error(call)).code() == grpc.StatusCode.NOT_FOUND
    watch = jobs_service.jobs.WatchJob(js.WatchJobRequest(id=job.id), metadata=other)
    assert (await rpc_error(watch.read())).code() == grpc.StatusCode.NOT_FOUND
    listed = await jobs_service.jobs.ListJobs(js.ListJobsRequest(page_size=1000), metadata=other)
    assert job.id not in {j.id for j in listed.jobs}
    assert (await get(jobs_service, job)).state == Job.STATE_QUEUED, "the owner's job is untouched"


async def test_calls_without_a_token_are_unauthenticated(jobs_service):
    error = await rpc_error(jobs_service.jobs.ListJobs(js.ListJobsRequest()))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    error = await rpc_error(jobs_service.jobs.ListJobs(js.ListJobsRequest(),
                                                       metadata=(("authorization", "Bearer nonsense"),)))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert details_from_rpc_error(error).reason == "TOKEN_INVALID"


async def test_readonly_callers_can_read_but_not_create(jobs_service):
    readonly = jobs_service.token(roles=["readonly"])
    error = await rpc_error(jobs_service.jobs.CreateJob(
        js.CreateJobRequest(analyzer="sentiment", inputs=job_pb2.JobInputs(text="hi")), metadata=readonly))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    await jobs_service.jobs.ListJobs(js.ListJobsRequest(), metadata=readonly)


async def test_users_cannot_call_the_worker_service_and_workers_cannot_retry(jobs_service):
    job = await create(jobs_service)
    error = await rpc_error(jobs_service.execution.StartJob(
        ex.StartJobRequest(id=job.id, tenant_id=job.tenant_id, attempt=1), metadata=jobs_service.token()))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED, "a tenant token is no worker credential"
    error = await rpc_error(jobs_service.jobs.RetryJob(js.RetryJobRequest(id=job.id),
                                                       metadata=jobs_service.token(roles=["user"])))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_walking_every_page_returns_each_job_once_even_while_new_jobs_arrive(jobs_service):
    tenant = "pager"
    created = {(await create(jobs_service, tenant=tenant)).id for _ in range(25)}
    seen: list[str] = []
    token = ""
    while True:
        page = await jobs_service.jobs.ListJobs(js.ListJobsRequest(page_size=7, page_token=token),
                                                metadata=jobs_service.token(tenant=tenant))
        seen += [job.id for job in page.jobs]
        await create(jobs_service, tenant=tenant)  # arrives mid-walk, newer than the cursor
        token = page.next_page_token
        if not token:
            break
    assert len(seen) == len(set(seen)), "no job twice"
    assert created <= set(seen), "every job that existed is seen"
    times = [(await get(jobs_service, job_pb2.Job(id=i), tenant=tenant)).create_time.ToDatetime() for i in seen]
    assert times == sorted(times, reverse=True), "newest first"


async def test_list_filters_by_state_and_analyzer_and_caps_the_page_size(jobs_service):
    tenant = "filters"
    queued = await create(jobs_service, tenant=tenant)
    cancelled = await create(jobs_service, tenant=tenant)
    await jobs_service.jobs.CancelJob(js.CancelJobRequest(id=cancelled.id), metadata=jobs_service.token(tenant=tenant))
    page = await jobs_service.jobs.ListJobs(
        js.ListJobsRequest(state=Job.STATE_CANCELLED, analyzer="sentiment", page_size=5000),
        metadata=jobs_service.token(tenant=tenant))
    assert [job.id for job in page.jobs] == [cancelled.id]
    active = await jobs_service.jobs.ListJobs(js.ListJobsRequest(active_only=True),
                                              metadata=jobs_service.token(tenant=tenant))
    assert [job.id for job in active.jobs] == [queued.id]


async def test_a_page_token_cannot_be_reused_with_other_filters(jobs_service):
    tenant = "tokens"
    for _ in range(3):
        await create(jobs_service, tenant=tenant)
    page = await jobs_service.jobs.ListJobs(js.ListJobsRequest(page_size=1), metadata=jobs_service.token(tenant=tenant))
    error = await rpc_error(jobs_service.jobs.ListJobs(
        js.ListJobsRequest(page_size=1, page_token=page.next_page_token, state=Job.STATE_QUEUED),
        metadata=jobs_service.token(tenant=tenant)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in details_from_rpc_error(error).violations] == ["page_token"]


async def test_an_admin_can_retry_a_failed_job_as_a_new_attempt(jobs_service):
    from test_jobs_lifecycle import fail, start
    job = await create(jobs_service, max_attempts=1)
    await start(jobs_service, job)
    await fail(jobs_service, job, 1, retryable=False)
    retried = (await jobs_service.jobs.RetryJob(js.RetryJobRequest(id=job.id),
                                                metadata=jobs_service.token(roles=["admin"]))).job
    assert retried.state == Job.STATE_QUEUED and retried.max_attempts == 2
    assert (await start(jobs_service, job)).job.attempt == 2
