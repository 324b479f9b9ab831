"""DeleteFile racing CreateJob on the same file: exactly one of them wins, decided atomically."""
# ruff: noqa: F811

from __future__ import annotations

import asyncio

import grpc
import pytest
from ingest_fixtures import IngestService, ingest_stack, new_tenant  # noqa: F401 - ingest_stack is a fixture

from assay.common.errors import details_from_rpc_error
from assay.v1 import ingest_service_pb2 as ing
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js

pytestmark = pytest.mark.integration

ROUNDS = 15


async def outcome(call) -> str:  # type: ignore[no-untyped-def]
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return details_from_rpc_error(error).reason or error.code().name
    return "OK"


async def test_a_file_deleted_while_a_job_is_created_on_it_never_leaves_a_job_without_its_file(
    ingest_stack: IngestService,
) -> None:
    assert ingest_stack.jobs is not None
    tenant = new_tenant()
    token = ingest_stack.token(tenant=tenant)
    seen = []
    for _ in range(ROUNDS):
        stored = await ingest_stack.upload([b"text\ngreat\n"], name="reviews.csv", metadata=token)
        deleted, created = await asyncio.gather(
            outcome(ingest_stack.files.DeleteFile(ing.DeleteFileRequest(id=stored.id), metadata=token)),
            outcome(ingest_stack.jobs.jobs.CreateJob(js.CreateJobRequest(
                analyzer="sentiment", inputs=job_pb2.JobInputs(file_ids=[stored.id])), metadata=token)),
        )
        seen.append((deleted, created))
        assert (deleted, created) in {("OK", "FILE_NOT_FOUND"), ("FILE_IN_USE", "OK")}, seen
    await assert_every_job_has_its_files(ingest_stack, token)


async def test_a_file_deleted_while_a_pipeline_is_created_on_it_never_leaves_a_job_without_its_file(
    ingest_stack: IngestService,
) -> None:
    assert ingest_stack.jobs is not None
    tenant = new_tenant()
    token = ingest_stack.token(tenant=tenant)
    seen = []
    for _ in range(ROUNDS):
        stored = await ingest_stack.upload([b"text\ngreat\n"], name="reviews.csv", metadata=token)
        job = js.CreateJobRequest(analyzer="sentiment", inputs=job_pb2.JobInputs(file_ids=[stored.id]))
        pipeline = js.CreatePipelineRequest(jobs=[js.PipelineJob(key="score", job=job)])
        deleted, created = await asyncio.gather(
            outcome(ingest_stack.files.DeleteFile(ing.DeleteFileRequest(id=stored.id), metadata=token)),
            outcome(ingest_stack.jobs.jobs.CreatePipeline(pipeline, metadata=token)),
        )
        seen.append((deleted, created))
        assert (deleted, created) in {("OK", "FILE_NOT_FOUND"), ("FILE_IN_USE", "OK")}, seen
    await assert_every_job_has_its_files(ingest_stack, token)


async def assert_every_job_has_its_files(ingest_stack: IngestService, token: tuple[tuple[str, str], ...]) -> None:
    assert ingest_stack.jobs is not None
    listed = await ingest_stack.jobs.jobs.ListJobs(js.ListJobsRequest(page_size=100), metadata=token)
    remaining = await ingest_stack.file_ids(token)
    for job in listed.jobs:
        assert set(job.inputs.file_ids) <= remaining


async def test_a_failed_job_whose_file_was_since_deleted_is_not_retried(ingest_stack: IngestService) -> None:
    from test_jobs_lifecycle import fail, start
    jobs_service = ingest_stack.jobs
    assert jobs_service is not None
    tenant = new_tenant()
    token = ingest_stack.token(tenant=tenant)
    stored = await ingest_stack.upload([b"text\ngreat\n"], name="reviews.csv", metadata=token)
    job = (await jobs_service.jobs.CreateJob(js.CreateJobRequest(
        analyzer="sentiment", inputs=job_pb2.JobInputs(file_ids=[stored.id]), max_attempts=1), metadata=token)).job
    await start(jobs_service, job)
    await fail(jobs_service, job, 1, retryable=False)
    await ingest_stack.files.DeleteFile(ing.DeleteFileRequest(id=stored.id), metadata=token)

    admin = ingest_stack.token(tenant=tenant, roles=["admin"])
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await jobs_service.jobs.RetryJob(js.RetryJobRequest(id=job.id), metadata=admin)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert details_from_rpc_error(refused.value).reason == "INPUT_DELETED"
    assert stored.id in (refused.value.details() or "")
    after = (await jobs_service.jobs.GetJob(js.GetJobRequest(id=job.id), metadata=token)).job
    assert after.state == job_pb2.Job.STATE_FAILED and after.max_attempts == 1, "nothing half-written"
