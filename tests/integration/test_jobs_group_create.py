"""Group-committed CreateJob on a real PostgreSQL and NATS: concurrent creates share batches, and
each caller still gets its own job or its own error (the quota case is test_job_quotas')."""
# ruff: noqa: F811

from __future__ import annotations

import asyncio

import grpc
import pytest
from ingest_fixtures import IngestService, ingest_stack, new_tenant  # noqa: F401 - ingest_stack is a fixture
from prometheus_client import REGISTRY

from assay.common.errors import details_from_rpc_error
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js

pytestmark = pytest.mark.integration

BATCHES = "assay_group_commit_batch_size"


def batches() -> tuple[float, float]:
    """(batches written, jobs in them) of the create_job committer so far."""
    labels = {"batcher": "create_job"}
    return (REGISTRY.get_sample_value(f"{BATCHES}_count", labels) or 0.0,
            REGISTRY.get_sample_value(f"{BATCHES}_sum", labels) or 0.0)


def text_job(text: str, request_id: str = "") -> js.CreateJobRequest:
    return js.CreateJobRequest(analyzer="sentiment", inputs=job_pb2.JobInputs(text=text), request_id=request_id)


async def outcome(call) -> job_pb2.Job | str:  # type: ignore[no-untyped-def]
    try:
        return (await call).job
    except grpc.aio.AioRpcError as error:
        return details_from_rpc_error(error).reason or error.code().name


async def test_concurrent_creates_are_written_in_shared_batches_each_answered_alone(jobs_service) -> None:
    before = batches()
    token = jobs_service.token(tenant="burst")
    results = await asyncio.gather(*(
        outcome(jobs_service.jobs.CreateJob(text_job(f"review {n}"), metadata=token)) for n in range(40)))
    count, items = (now - then for now, then in zip(batches(), before, strict=True))
    assert items == 40
    assert count < 40  # without group commit every create is a batch (a transaction) of its own
    assert all(isinstance(job, job_pb2.Job) and job.state == job_pb2.Job.STATE_QUEUED for job in results)
    assert len({job.id for job in results}) == 40
    assert [job.inputs.text for job in results] == [f"review {n}" for n in range(40)]  # each caller its own
    listed = await jobs_service.jobs.ListJobs(js.ListJobsRequest(page_size=100), metadata=token)
    assert len(listed.jobs) == 40


async def test_request_ids_in_one_batch_repeat_and_refuse_per_caller(jobs_service) -> None:
    token = jobs_service.token(tenant="idempotent")
    first = await jobs_service.jobs.CreateJob(text_job("kept", "key-1"), metadata=token)
    results = await asyncio.gather(
        outcome(jobs_service.jobs.CreateJob(text_job("kept", "key-1"), metadata=token)),      # repeat: same job
        outcome(jobs_service.jobs.CreateJob(text_job("changed", "key-1"), metadata=token)),   # reused: refused
        outcome(jobs_service.jobs.CreateJob(text_job("new", "key-2"), metadata=token)),       # new key
        outcome(jobs_service.jobs.CreateJob(text_job("new", "key-2"), metadata=token)),       # same new key again
        outcome(jobs_service.jobs.CreateJob(text_job("plain"), metadata=token)),
    )
    assert isinstance(results[0], job_pb2.Job) and results[0].id == first.job.id
    assert results[1] == "REQUEST_ID_REUSED"
    assert isinstance(results[2], job_pb2.Job) and isinstance(results[3], job_pb2.Job)
    assert results[2].id == results[3].id  # one job for the key, both callers answered with it
    assert isinstance(results[4], job_pb2.Job)
    listed = await jobs_service.jobs.ListJobs(js.ListJobsRequest(page_size=100), metadata=token)
    assert len(listed.jobs) == 3


async def test_a_released_file_refuses_only_its_own_create(ingest_stack: IngestService) -> None:
    assert ingest_stack.jobs is not None
    tenant = new_tenant()
    token = ingest_stack.token(tenant=tenant)
    going = await ingest_stack.upload([b"text\ngreat\n"], name="going.csv", metadata=token)
    staying = await ingest_stack.upload([b"text\nfine\n"], name="staying.csv", metadata=token)
    # released for deletion in jobs (the first half of a DeleteFile), still listed by ingest
    await ingest_stack.jobs.jobs.ReleaseFile(js.ReleaseFileRequest(file_id=going.id), metadata=token)

    def on_file(file_id: str) -> js.CreateJobRequest:
        return js.CreateJobRequest(analyzer="sentiment", inputs=job_pb2.JobInputs(file_ids=[file_id]))

    before = batches()
    results = await asyncio.gather(
        outcome(ingest_stack.jobs.jobs.CreateJob(on_file(going.id), metadata=token)),
        outcome(ingest_stack.jobs.jobs.CreateJob(on_file(staying.id), metadata=token)),
        *(outcome(ingest_stack.jobs.jobs.CreateJob(text_job(f"beside {n}"), metadata=token)) for n in range(6)),
    )
    assert results[0] == "FILE_NOT_FOUND"
    assert all(isinstance(job, job_pb2.Job) for job in results[1:]), results
    assert list(results[1].inputs.file_ids) == [staying.id]  # type: ignore[union-attr]
    count, items = (now - then for now, then in zip(batches(), before, strict=True))
    assert items == 8 and count < 8
