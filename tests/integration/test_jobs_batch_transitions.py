"""StartJobs / CompleteJobs on a real PostgreSQL and NATS: one statement per batch, and every item
decided as its single call would be — attempt fencing, capabilities and tenants per item, a refused
item never failing the others, a repeated call answered as before."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from test_jobs_lifecycle import create, get, rpc_error, start

from assay.common.nats import ALL_EVENTS, connect
from assay.v1 import events_pb2, job_pb2
from assay.v1 import job_execution_service_pb2 as ex

Job = job_pb2.Job
RUN = ex.StartJobResponse.DECISION_RUN
RETRY_LATER = ex.StartJobResponse.DECISION_RETRY_LATER
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def start_item(service, job, *, tenant=None, capability=None) -> ex.StartJobsItem:
    tenant = tenant or job.tenant_id
    return ex.StartJobsItem(request=ex.StartJobRequest(
        id=job.id, tenant_id=tenant, attempt=job.attempt + 1, analyzer_version="2.0.0",
        capability=capability if capability is not None else service.capability(tenant, job.id)),
        traceparent=TRACEPARENT)


def complete_item(service, job, attempt, **fields) -> ex.CompleteJobsItem:
    result = job_pb2.JobResult()
    result.sentiment.statistics.rows_total = 1
    return ex.CompleteJobsItem(request=ex.CompleteJobRequest(
        id=job.id, tenant_id=job.tenant_id, attempt=attempt, result=result,
        capability=service.capability(job.tenant_id, job.id), **fields), traceparent=TRACEPARENT)


async def start_jobs(service, *items) -> list[ex.StartJobsResult]:
    response = await service.execution.StartJobs(ex.StartJobsRequest(items=items), metadata=service.worker)
    return list(response.results)


async def complete_jobs(service, *items) -> list[ex.CompleteJobsResult]:
    response = await service.execution.CompleteJobs(ex.CompleteJobsRequest(items=items), metadata=service.worker)
    return list(response.results)


async def test_start_jobs_starts_every_due_job_and_answers_each_in_order(jobs_service):
    jobs = [await create(jobs_service, text=f"batch start {n}") for n in range(4)]
    results = await start_jobs(jobs_service, *(start_item(jobs_service, job) for job in jobs))
    assert [r.WhichOneof("outcome") for r in results] == ["response"] * 4
    assert [r.response.job.id for r in results] == [job.id for job in jobs]
    for result in results:
        assert result.response.decision == RUN
        assert result.response.job.state == Job.STATE_RUNNING and result.response.job.attempt == 1
        assert result.response.job.analyzer_version == "2.0.0"
    assert (await get(jobs_service, jobs[0])).state == Job.STATE_RUNNING


async def test_a_refused_item_does_not_fail_the_batch(jobs_service):
    ours, theirs = await create(jobs_service, text="ours"), await create(jobs_service, text="theirs", tenant="globex")
    forged = start_item(jobs_service, theirs, tenant="acme")  # acme's capability can't name globex's job
    forged.request.capability = jobs_service.capability("acme", theirs.id)
    cross = start_item(jobs_service, theirs, capability=jobs_service.capability("acme", ours.id))
    missing = ex.StartJobsItem(request=ex.StartJobRequest(
        id=str(uuid.uuid4()), tenant_id="acme", analyzer_version="2.0.0",
        capability=jobs_service.capability("acme", str(uuid.uuid4()))))
    results = await start_jobs(jobs_service, forged, start_item(jobs_service, ours), cross, missing)
    assert results[1].response.decision == RUN and results[1].response.job.id == ours.id
    assert results[0].WhichOneof("outcome") == "error"
    assert results[0].error.code == grpc.StatusCode.NOT_FOUND.value[0]  # RLS and the tenant predicate: not there
    assert results[2].error.code == grpc.StatusCode.PERMISSION_DENIED.value[0]
    assert results[2].error.reason.startswith("CAPABILITY")
    assert results[3].error.code == grpc.StatusCode.PERMISSION_DENIED.value[0]  # its capability names another id
    assert (await get(jobs_service, theirs, tenant="globex")).state == Job.STATE_QUEUED  # never started


async def test_the_same_job_twice_in_one_batch_starts_once(jobs_service):
    job = await create(jobs_service, text="twice")
    results = await start_jobs(jobs_service, start_item(jobs_service, job), start_item(jobs_service, job))
    assert results[0].response.decision == RUN and results[0].response.job.attempt == 1
    assert results[1].response.decision == RETRY_LATER  # the first holds a live lease
    assert (await get(jobs_service, job)).attempt == 1


async def test_complete_jobs_fences_a_stale_attempt_and_completes_the_others(jobs_service):
    jobs = [await create(jobs_service, text=f"fence {n}") for n in range(3)]
    started = await start_jobs(jobs_service, *(start_item(jobs_service, job) for job in jobs))
    stale = jobs[1]
    # attempt 1's lease runs out (2 s in tests) and attempt 2 takes the job over
    deadline = asyncio.get_running_loop().time() + 15
    while (taken := await start(jobs_service, stale, attempt=2)).decision != RUN:
        assert asyncio.get_running_loop().time() < deadline, taken
        await asyncio.sleep(0.2)
    assert taken.job.attempt == 2
    results = await complete_jobs(jobs_service, *(
        complete_item(jobs_service, job, r.response.job.attempt) for job, r in zip(jobs, started, strict=True)))
    assert results[0].response.job.state == Job.STATE_SUCCEEDED
    assert results[2].response.job.state == Job.STATE_SUCCEEDED
    assert results[2].response.job.result.sentiment.statistics.rows_total == 1
    assert results[1].error.code == grpc.StatusCode.FAILED_PRECONDITION.value[0]
    assert results[1].error.reason == "ATTEMPT_SUPERSEDED"
    current = await get(jobs_service, stale)
    assert current.state == Job.STATE_RUNNING and current.attempt == 2  # the new owner is untouched


async def test_a_repeated_complete_jobs_returns_the_same_jobs(jobs_service):
    jobs = [await create(jobs_service, text=f"repeat {n}") for n in range(2)]
    started = await start_jobs(jobs_service, *(start_item(jobs_service, job) for job in jobs))
    items = [complete_item(jobs_service, job, 1) for job in jobs]
    first = await complete_jobs(jobs_service, *items)
    again = await complete_jobs(jobs_service, *items)  # the first answer was lost: the worker asks again
    assert [r.response.job for r in again] == [r.response.job for r in first]
    assert all(r.response.job.state == Job.STATE_SUCCEEDED for r in again)
    assert started[0].response.job.attempt == 1


async def test_cancelled_items_end_cancelled_and_secret_params_are_cleared(jobs_service):
    job = await create(jobs_service, text="cancel me")
    await start_jobs(jobs_service, start_item(jobs_service, job))
    results = await complete_jobs(jobs_service, complete_item(jobs_service, job, 1, cancelled=True))
    assert results[0].response.job.state == Job.STATE_CANCELLED
    engine = create_async_engine(jobs_service.settings.database_url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT set_config('assay.tenant_id', 'acme', false)"))
            row = (await conn.execute(text(
                "SELECT secret_params, end_traceparent FROM jobs.jobs WHERE id = :id"), {"id": job.id})).one()
    finally:
        await engine.dispose()
    assert row.secret_params is None
    assert row.end_traceparent and row.end_traceparent.split("-")[1] == TRACEPARENT.split("-")[1]  # the job's trace


async def test_each_batched_transition_publishes_its_event_in_order(jobs_service):
    nc = await connect(jobs_service.settings, "batch-test")
    events: dict[str, list[int]] = {}
    states: dict[str, list[int]] = {}

    async def on_event(msg) -> None:
        event = events_pb2.JobEvent.FromString(msg.data)
        events.setdefault(event.job.id, []).append(event.sequence)
        states.setdefault(event.job.id, []).append(event.job.state)

    sub = await nc.subscribe(ALL_EVENTS, cb=on_event)
    try:
        jobs = [await create(jobs_service, text=f"events {n}") for n in range(3)]
        await start_jobs(jobs_service, *(start_item(jobs_service, job) for job in jobs))
        await complete_jobs(jobs_service, *(complete_item(jobs_service, job, 1) for job in jobs))
        deadline = asyncio.get_running_loop().time() + 15
        while any(Job.STATE_SUCCEEDED not in states.get(job.id, []) for job in jobs):
            assert asyncio.get_running_loop().time() < deadline, states
            await asyncio.sleep(0.05)
    finally:
        await sub.unsubscribe()
        await nc.close()
    for job in jobs:
        assert states[job.id][-2:] == [Job.STATE_RUNNING, Job.STATE_SUCCEEDED]
        assert events[job.id] == sorted(events[job.id])


async def test_a_batch_needs_a_worker_credential_and_at_most_256_items(jobs_service):
    job = await create(jobs_service, text="credential")
    error = await rpc_error(jobs_service.execution.StartJobs(
        ex.StartJobsRequest(items=[start_item(jobs_service, job)]), metadata=jobs_service.token()))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    error = await rpc_error(jobs_service.execution.CompleteJobs(
        ex.CompleteJobsRequest(items=[complete_item(jobs_service, job, 1)] * 257), metadata=jobs_service.worker))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("attempt", [0, -1])
async def test_an_item_with_an_invalid_attempt_is_refused_alone(jobs_service, attempt):
    jobs = [await create(jobs_service, text=f"attempt {n}") for n in range(2)]
    await start_jobs(jobs_service, *(start_item(jobs_service, job) for job in jobs))
    results = await complete_jobs(jobs_service, complete_item(jobs_service, jobs[0], attempt),
                                  complete_item(jobs_service, jobs[1], 1))
    assert results[0].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert results[1].response.job.state == Job.STATE_SUCCEEDED
