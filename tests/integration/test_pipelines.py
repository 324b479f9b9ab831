"""CreatePipeline / GetPipeline / CancelPipeline on a real PostgreSQL and NATS."""

from __future__ import annotations

import grpc
from test_job_dependencies import create, run
from test_jobs_lifecycle import get, rpc_error, start

from assay.common.errors import details_from_rpc_error
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job
Pipeline = js.Pipeline


def step(key: str, *after: str, text: str = "I love it", jobs=()) -> js.PipelineJob:
    job = js.CreateJobRequest(analyzer="sentiment", inputs=job_pb2.JobInputs(text=text, jobs=list(jobs)))
    return js.PipelineJob(key=key, job=job, after=list(after))


async def create_pipeline(service, *steps, tenant="acme") -> Pipeline:
    request = js.CreatePipelineRequest(jobs=list(steps))
    return (await service.jobs.CreatePipeline(request, metadata=service.token(tenant=tenant))).pipeline


async def get_pipeline(service, pipeline_id, tenant="acme") -> Pipeline:
    request = js.GetPipelineRequest(id=pipeline_id)
    return (await service.jobs.GetPipeline(request, metadata=service.token(tenant=tenant))).pipeline


async def test_a_pipeline_creates_its_jobs_at_once_and_runs_them_in_dependency_order(jobs_service):
    pipeline = await create_pipeline(jobs_service, step("a"), step("b"), step("sum", "a", "b"))
    first, second, last = pipeline.jobs
    assert pipeline.state == Pipeline.STATE_RUNNING
    assert [job.state for job in pipeline.jobs] == [Job.STATE_QUEUED, Job.STATE_QUEUED, Job.STATE_WAITING]
    assert {job.pipeline_id for job in pipeline.jobs} == {pipeline.id}
    assert list(last.inputs.jobs) == [first.id, second.id]
    assert len({job.trace_id for job in pipeline.jobs}) == 1, "the pipeline is one trace"
    await run(jobs_service, first)
    await run(jobs_service, second)
    assert (await get(jobs_service, last)).state == Job.STATE_QUEUED
    await run(jobs_service, last)
    done = await get_pipeline(jobs_service, pipeline.id)
    assert done.state == Pipeline.STATE_SUCCEEDED and [job.id for job in done.jobs] == [j.id for j in pipeline.jobs]


async def test_a_pipeline_may_wait_for_existing_jobs_and_fails_with_them(jobs_service):
    existing = await create(jobs_service)
    pipeline = await create_pipeline(jobs_service, step("a", jobs=[existing.id]), step("b", "a"))
    await start(jobs_service, existing)
    from test_jobs_lifecycle import fail
    await fail(jobs_service, existing, 1, retryable=False)
    after = await get_pipeline(jobs_service, pipeline.id)
    assert after.state == Pipeline.STATE_FAILED
    assert [job.error.code for job in after.jobs] == ["DEPENDENCY_FAILED"] * 2


async def test_cancelling_a_pipeline_cancels_every_unfinished_job(jobs_service):
    pipeline = await create_pipeline(jobs_service, step("a"), step("b", "a"), step("c"))
    running, waiting, queued = pipeline.jobs
    await start(jobs_service, running)
    response = await jobs_service.jobs.CancelPipeline(js.CancelPipelineRequest(id=pipeline.id),
                                                      metadata=jobs_service.token())
    by_id = {job.id: job for job in response.pipeline.jobs}
    assert by_id[running.id].state == Job.STATE_RUNNING and by_id[running.id].cancel_requested
    assert by_id[waiting.id].state == Job.STATE_CANCELLED and by_id[queued.id].state == Job.STATE_CANCELLED


async def test_a_bad_pipeline_is_refused_whole_with_every_violation_and_nothing_written(jobs_service):
    before = await jobs_service.jobs.ListJobs(js.ListJobsRequest(), metadata=jobs_service.token(tenant="bad"))
    error = await rpc_error(create_pipeline(
        jobs_service, step("a", "b"), step("b"), step("b", text=""), step("bad key!"), tenant="bad"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields = {v.field for v in details_from_rpc_error(error).violations}
    assert {"jobs[0].after[0]", "jobs[2].key", "jobs[2].job.inputs", "jobs[3].key"} <= fields
    after = await jobs_service.jobs.ListJobs(js.ListJobsRequest(), metadata=jobs_service.token(tenant="bad"))
    assert list(after.jobs) == list(before.jobs)
    assert details_from_rpc_error(await rpc_error(create_pipeline(jobs_service))).violations[0].field == "jobs"


async def test_another_tenants_pipeline_and_jobs_are_not_found(jobs_service):
    pipeline = await create_pipeline(jobs_service, step("a"), tenant="globex")
    error = await rpc_error(get_pipeline(jobs_service, pipeline.id, tenant="acme"))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    foreign = await create(jobs_service, tenant="globex")
    error = await rpc_error(create_pipeline(jobs_service, step("a"), step("b", jobs=[foreign.id])))
    assert [v.field for v in details_from_rpc_error(error).violations] == ["jobs[1].job.inputs.jobs[0]"]
