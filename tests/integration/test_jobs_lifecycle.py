"""The job state machine over gRPC on a real PostgreSQL and NATS."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from assay.common.errors import details_from_rpc_error
from assay.v1 import job_execution_service_pb2 as ex
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job
RUN = ex.StartJobResponse.DECISION_RUN
SKIP = ex.StartJobResponse.DECISION_SKIP
RETRY_LATER = ex.StartJobResponse.DECISION_RETRY_LATER


async def create(service, text="I love it", tenant="acme", **fields) -> job_pb2.Job:
    request = js.CreateJobRequest(analyzer="sentiment", inputs=job_pb2.JobInputs(text=text), **fields)
    response = await service.jobs.CreateJob(request, metadata=service.token(tenant=tenant))
    return response.job


async def start(service, job, attempt=1) -> ex.StartJobResponse:
    return await service.execution.StartJob(
        ex.StartJobRequest(id=job.id, tenant_id=job.tenant_id, attempt=attempt, analyzer_version="1.0.0",
                           capability=service.capability(job.tenant_id, job.id)),
        metadata=service.worker)


async def complete(service, job, attempt) -> ex.CompleteJobResponse:
    return await service.execution.CompleteJob(
        ex.CompleteJobRequest(id=job.id, tenant_id=job.tenant_id, attempt=attempt,
                              capability=service.capability(job.tenant_id, job.id)),
        metadata=service.worker)


async def fail(service, job, attempt, retryable=True, code="BOOM") -> ex.FailJobResponse:
    return await service.execution.FailJob(
        ex.FailJobRequest(id=job.id, tenant_id=job.tenant_id, attempt=attempt,
                          error=job_pb2.JobError(code=code, message="it broke", retryable=retryable),
                          capability=service.capability(job.tenant_id, job.id)),
        metadata=service.worker)


async def heartbeat(service, job, attempt, progress=10) -> ex.HeartbeatResponse:
    return await service.execution.Heartbeat(
        ex.HeartbeatRequest(id=job.id, tenant_id=job.tenant_id, attempt=attempt, progress=progress,
                            capability=service.capability(job.tenant_id, job.id)),
        metadata=service.worker)


async def get(service, job, tenant="acme") -> job_pb2.Job:
    return (await service.jobs.GetJob(js.GetJobRequest(id=job.id), metadata=service.token(tenant=tenant))).job


async def rpc_error(awaitable) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await awaitable
    return caught.value


async def test_a_created_job_is_queued_with_attempt_zero_and_readable(jobs_service):
    job = await create(jobs_service)
    assert job.state == Job.STATE_QUEUED
    assert job.attempt == 0 and job.max_attempts == 3
    assert job.params.WhichOneof("analyzer_params") == "sentiment"
    fetched = await get(jobs_service, job)
    assert fetched == job


async def test_a_job_runs_through_start_heartbeat_and_complete_to_succeeded(jobs_service):
    job = await create(jobs_service)
    started = await start(jobs_service, job)
    assert started.decision == RUN
    assert started.job.state == Job.STATE_RUNNING and started.job.attempt == 1
    assert started.job.analyzer_version == "1.0.0"
    beat = await heartbeat(jobs_service, job, 1, progress=40)
    assert not beat.cancel_requested
    assert (await get(jobs_service, job)).progress == 40
    await heartbeat(jobs_service, job, 1, progress=20)
    assert (await get(jobs_service, job)).progress == 40, "progress only grows within an attempt"
    done = await complete(jobs_service, job, 1)
    assert done.job.state == Job.STATE_SUCCEEDED and done.job.progress == 100
    assert done.job.HasField("end_time")


async def test_a_stale_attempt_cannot_heartbeat_complete_or_fail_a_job_another_attempt_owns(jobs_service):
    job = await create(jobs_service)
    assert (await start(jobs_service, job)).decision == RUN
    await fail(jobs_service, job, 1, retryable=True)
    second = None

    async def second_attempt_runs():
        nonlocal second
        second = await start(jobs_service, job)
        return second.decision == RUN

    from harness import eventually
    await eventually(second_attempt_runs, timeout=10)
    assert second.job.attempt == 2
    for call in (heartbeat(jobs_service, job, 1), complete(jobs_service, job, 1), fail(jobs_service, job, 1)):
        error = await rpc_error(call)
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert details_from_rpc_error(error).reason == "ATTEMPT_SUPERSEDED"
    current = await get(jobs_service, job)
    assert current.state == Job.STATE_RUNNING and current.attempt == 2


async def test_a_retryable_failure_requeues_with_a_delay_and_the_last_attempt_fails_for_good(jobs_service):
    job = await create(jobs_service, max_attempts=2)
    await start(jobs_service, job)
    first = await fail(jobs_service, job, 1, retryable=True)
    assert first.job.state == Job.STATE_QUEUED
    assert first.job.error.code == "BOOM" and first.job.HasField("next_attempt_time")
    assert first.retry_delay.ToTimedelta().total_seconds() > 0
    early = await start(jobs_service, job)
    assert early.decision == RETRY_LATER and early.retry_delay.ToTimedelta().total_seconds() > 0

    from harness import eventually

    async def runs_again():
        return (await start(jobs_service, job)).decision == RUN

    await eventually(runs_again, timeout=10)
    last = await fail(jobs_service, job, 2, retryable=True)
    assert last.job.state == Job.STATE_FAILED, "no attempts left"
    assert (await start(jobs_service, job)).decision == SKIP


async def test_a_job_that_succeeds_after_a_failed_attempt_shows_no_error(jobs_service):
    from harness import eventually

    job = await create(jobs_service, max_attempts=3)
    await start(jobs_service, job)
    assert (await fail(jobs_service, job, 1, retryable=True)).job.error.code == "BOOM"

    async def runs_again():
        return (await start(jobs_service, job)).decision == RUN

    await eventually(runs_again, timeout=10)
    done = (await complete(jobs_service, job, 2)).job
    assert done.state == Job.STATE_SUCCEEDED and not done.HasField("error")
    assert not (await get(jobs_service, job)).HasField("error")


async def test_a_permanent_failure_ends_the_job_failed_at_once(jobs_service):
    job = await create(jobs_service)
    await start(jobs_service, job)
    failed = await fail(jobs_service, job, 1, retryable=False, code="INPUT_UNPARSEABLE")
    assert failed.job.state == Job.STATE_FAILED
    assert failed.job.error.code == "INPUT_UNPARSEABLE" and not failed.job.error.retryable


async def test_cancelling_a_queued_job_cancels_it_at_once_and_a_worker_then_skips_it(jobs_service):
    job = await create(jobs_service)
    cancelled = (await jobs_service.jobs.CancelJob(js.CancelJobRequest(id=job.id), metadata=jobs_service.token())).job
    assert cancelled.state == Job.STATE_CANCELLED
    assert (await start(jobs_service, job)).decision == SKIP


async def test_cancelling_a_running_job_requests_cancellation_until_the_worker_stops(jobs_service):
    job = await create(jobs_service)
    await start(jobs_service, job)
    requested = (await jobs_service.jobs.CancelJob(js.CancelJobRequest(id=job.id), metadata=jobs_service.token())).job
    assert requested.state == Job.STATE_RUNNING and requested.cancel_requested
    assert (await heartbeat(jobs_service, job, 1)).cancel_requested
    stopped = await jobs_service.execution.CompleteJob(
        ex.CompleteJobRequest(id=job.id, tenant_id=job.tenant_id, attempt=1, cancelled=True,
                              capability=jobs_service.capability(job.tenant_id, job.id)),
        metadata=jobs_service.worker)
    assert stopped.job.state == Job.STATE_CANCELLED


async def test_cancelling_a_finished_job_is_a_failed_precondition(jobs_service):
    job = await create(jobs_service)
    await start(jobs_service, job)
    await complete(jobs_service, job, 1)
    error = await rpc_error(jobs_service.jobs.CancelJob(js.CancelJobRequest(id=job.id), metadata=jobs_service.token()))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert details_from_rpc_error(error).reason == "JOB_TERMINAL"


async def test_terminal_jobs_never_change_again(jobs_service):
    job = await create(jobs_service)
    await start(jobs_service, job)
    done = (await complete(jobs_service, job, 1)).job
    assert (await start(jobs_service, job)).decision == SKIP
    for call in (heartbeat(jobs_service, job, 1), fail(jobs_service, job, 1)):
        assert (await rpc_error(call)).code() == grpc.StatusCode.FAILED_PRECONDITION
    again = (await complete(jobs_service, job, 1)).job
    assert again == done, "repeating CompleteJob for the same attempt is harmless"
    assert await get(jobs_service, job) == done


async def test_a_running_job_whose_lease_expired_is_taken_over_by_a_new_attempt(jobs_service):
    job = await create(jobs_service)
    assert (await start(jobs_service, job)).decision == RUN
    assert (await start(jobs_service, job)).decision == RETRY_LATER, "the live lease is respected"
    from harness import eventually

    async def taken_over():
        response = await start(jobs_service, job)
        return response if response.decision == RUN else None

    response = await eventually(taken_over, timeout=10)
    assert response.job.attempt == 2
    error = await rpc_error(complete(jobs_service, job, 1))
    assert details_from_rpc_error(error).reason == "ATTEMPT_SUPERSEDED"


async def test_fifty_concurrent_starts_of_one_job_admit_exactly_one(jobs_service):
    job = await create(jobs_service)
    responses = await asyncio.gather(*(start(jobs_service, job) for _ in range(50)))
    winners = [r for r in responses if r.decision == RUN]
    assert len(winners) == 1
    assert all(r.decision == RETRY_LATER for r in responses if r.decision != RUN)
    assert (await get(jobs_service, job)).attempt == 1


async def test_the_reaper_settles_a_job_whose_worker_vanished_after_its_last_attempt(jobs_service):
    job = await create(jobs_service, max_attempts=1)
    await start(jobs_service, job)
    from harness import eventually

    async def failed():
        current = await get(jobs_service, job)
        return current if current.state == Job.STATE_FAILED else None

    settled = await eventually(failed, timeout=15)
    assert settled.error.code == "LEASE_EXPIRED"
