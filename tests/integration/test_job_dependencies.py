"""Job dependencies (``inputs.jobs``) on a real PostgreSQL and NATS: a WAITING job is queued when every
dependency SUCCEEDED, failed with DEPENDENCY_FAILED when one ends FAILED or CANCELLED, in the same
transaction as that dependency's terminal transition."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest
from harness import eventually
from harness.jobs import fresh_database, start_jobs
from sqlalchemy.engine import make_url
from test_jobs_events import follow
from test_jobs_lifecycle import complete, fail, get, rpc_error, start

from assay.common.errors import details_from_rpc_error
from assay.common.migrations import upgrade
from assay.jobs import store as jobs_store
from assay.jobs.dependencies import MAX_DEPENDENCIES
from assay.jobs.migrations import SCRIPT_LOCATION as MIGRATIONS
from assay.v1 import job_execution_service_pb2 as ex
from assay.v1 import job_pb2, sentiment_pb2
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job
RUN = ex.StartJobResponse.DECISION_RUN


async def create(service, depends_on=(), tenant="acme", **fields) -> job_pb2.Job:
    inputs = job_pb2.JobInputs(text="I love it", jobs=[job.id if isinstance(job, Job) else job for job in depends_on])
    request = js.CreateJobRequest(analyzer="sentiment", inputs=inputs, **fields)
    return (await service.jobs.CreateJob(request, metadata=service.token(tenant=tenant))).job


async def run(service, job, tenant="acme") -> job_pb2.Job:
    """Start and complete a queued job; returns it SUCCEEDED."""
    worker_job = Job(id=job.id, tenant_id=tenant)
    assert (await start(service, worker_job)).decision == RUN
    return (await complete(service, worker_job, 1)).job


async def cancel(service, job) -> job_pb2.Job:
    return (await service.jobs.CancelJob(js.CancelJobRequest(id=job.id), metadata=service.token())).job


async def test_a_job_waits_for_every_dependency_and_is_queued_when_the_last_succeeds(jobs_service):
    first, second = await create(jobs_service), await create(jobs_service)
    waiting = await create(jobs_service, [first, second])
    assert waiting.state == Job.STATE_WAITING
    assert list(waiting.inputs.jobs) == [first.id, second.id]
    skipped = await start(jobs_service, waiting)
    assert skipped.decision == ex.StartJobResponse.DECISION_SKIP, "a waiting job does not run"
    await run(jobs_service, first)
    assert (await get(jobs_service, waiting)).state == Job.STATE_WAITING
    await run(jobs_service, second)
    assert (await get(jobs_service, waiting)).state == Job.STATE_QUEUED
    assert (await start(jobs_service, waiting)).decision == RUN


async def test_a_failed_dependency_fails_its_dependents_and_theirs_naming_it(jobs_service):
    dependency, other = await create(jobs_service), await create(jobs_service)
    waiting = await create(jobs_service, [other, dependency])
    downstream = await create(jobs_service, [waiting])
    await start(jobs_service, dependency)
    await fail(jobs_service, dependency, 1, retryable=False)
    failed = await get(jobs_service, waiting)
    assert failed.state == Job.STATE_FAILED and failed.HasField("end_time")
    assert failed.error.code == "DEPENDENCY_FAILED" and not failed.error.retryable
    assert dependency.id in failed.error.message and "failed" in failed.error.message
    chained = await get(jobs_service, downstream)
    assert chained.state == Job.STATE_FAILED and chained.error.code == "DEPENDENCY_FAILED"
    assert waiting.id in chained.error.message


async def test_a_cancelled_dependency_fails_its_dependents_and_a_waiting_job_can_be_cancelled(jobs_service):
    dependency = await create(jobs_service)
    waiting = await create(jobs_service, [dependency])
    await cancel(jobs_service, dependency)
    failed = await get(jobs_service, waiting)
    assert failed.state == Job.STATE_FAILED and failed.error.code == "DEPENDENCY_FAILED"
    assert f"{dependency.id} ended cancelled" in failed.error.message

    dependency = await create(jobs_service)
    waiting = await create(jobs_service, [dependency])
    cancelled = await cancel(jobs_service, waiting)
    assert cancelled.state == Job.STATE_CANCELLED and cancelled.HasField("end_time")
    await run(jobs_service, dependency)
    assert (await get(jobs_service, waiting)).state == Job.STATE_CANCELLED, "a finished job stays finished"


async def test_dependencies_that_already_finished_settle_the_job_at_creation(jobs_service):
    succeeded = await run(jobs_service, await create(jobs_service))
    queued = await create(jobs_service, [succeeded])
    assert queued.state == Job.STATE_QUEUED
    assert (await start(jobs_service, queued)).decision == RUN

    failed_dependency = await create(jobs_service)
    await start(jobs_service, failed_dependency)
    await fail(jobs_service, failed_dependency, 1, retryable=False)
    failed = await create(jobs_service, [succeeded, failed_dependency])
    assert failed.state == Job.STATE_FAILED and failed.error.code == "DEPENDENCY_FAILED"
    assert failed_dependency.id in failed.error.message


async def test_unknown_and_other_tenants_jobs_are_refused_alike_and_nothing_is_written(jobs_service):
    foreign = await create(jobs_service, tenant="globex")
    mine = await create(jobs_service, tenant="initech")
    unknown = str(uuid.uuid4())
    error = await rpc_error(create(jobs_service, [mine, foreign, unknown], tenant="initech"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = details_from_rpc_error(error)
    assert details.reason == "DEPENDENCY_NOT_FOUND"
    assert {v.field: v.description for v in details.violations} == {
        "inputs.jobs[1]": f"job {foreign.id} not found", "inputs.jobs[2]": f"job {unknown} not found"}
    listed = await jobs_service.jobs.ListJobs(js.ListJobsRequest(), metadata=jobs_service.token(tenant="initech"))
    assert [job.id for job in listed.jobs] == [mine.id], "nothing half-written"


async def test_malformed_repeated_and_too_many_dependencies_are_refused(jobs_service):
    job = await create(jobs_service)
    cases = {
        ("not-a-uuid",): "inputs.jobs[0]",
        (job.id, job.id.upper()): "inputs.jobs",
        tuple(str(uuid.uuid4()) for _ in range(MAX_DEPENDENCIES + 1)): "inputs.jobs",
    }
    for ids, field in cases.items():
        error = await rpc_error(create(jobs_service, ids))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field in [v.field for v in details_from_rpc_error(error).violations]


async def test_dependencies_finishing_at_once_release_the_job_exactly_once(jobs_service, nats_server):
    nc, log = await follow(nats_server.url, "race")
    try:
        for _ in range(8):
            first, second = await create(jobs_service, tenant="race"), await create(jobs_service, tenant="race")
            waiting = await create(jobs_service, [first, second], tenant="race")
            for job in (first, second):
                assert (await start(jobs_service, job)).decision == RUN
            await asyncio.gather(complete(jobs_service, first, 1), complete(jobs_service, second, 1))
            assert (await get(jobs_service, waiting, tenant="race")).state == Job.STATE_QUEUED

            async def released_once(job_id=waiting.id):
                states = [event.job.state for event in log.by_job[job_id]]
                return states == [Job.STATE_WAITING, Job.STATE_QUEUED]
            await eventually(released_once, timeout=10)
    finally:
        await nc.close()


async def test_a_dependency_finishing_while_its_dependent_is_created_never_leaves_it_waiting(jobs_service):
    for _ in range(8):
        dependency = await create(jobs_service)
        assert (await start(jobs_service, dependency)).decision == RUN
        _, dependent = await asyncio.gather(complete(jobs_service, dependency, 1), create(jobs_service, [dependency]))
        assert (await get(jobs_service, dependent)).state == Job.STATE_QUEUED


async def test_retrying_a_job_failed_for_its_dependency_waits_for_it_again(jobs_service):
    dependency = await create(jobs_service)
    waiting = await create(jobs_service, [dependency])
    await start(jobs_service, dependency)
    await fail(jobs_service, dependency, 1, retryable=False)
    admin = jobs_service.token(roles=["admin"])
    retried = (await jobs_service.jobs.RetryJob(js.RetryJobRequest(id=dependency.id), metadata=admin)).job
    assert retried.state == Job.STATE_QUEUED
    again = (await jobs_service.jobs.RetryJob(js.RetryJobRequest(id=waiting.id), metadata=admin)).job
    assert again.state == Job.STATE_WAITING
    assert (await start(jobs_service, dependency, attempt=2)).decision == RUN
    await complete(jobs_service, dependency, 2)
    assert (await get(jobs_service, waiting)).state == Job.STATE_QUEUED


async def test_a_job_ends_and_releases_its_dependents_in_one_transaction(jobs_service, monkeypatch):
    """No window between a dependency's end and its dependents' release: when the release fails, the
    dependency's terminal transition is rolled back with it, and the worker's retried call does both."""
    dependency = await create(jobs_service)
    waiting = await create(jobs_service, [dependency])
    assert (await start(jobs_service, dependency)).decision == RUN
    original = jobs_store.settle_waiting

    async def crash(*args, **kwargs):
        raise ConnectionError("the jobs service died here")

    monkeypatch.setattr(jobs_store, "settle_waiting", crash)
    error = await rpc_error(complete(jobs_service, dependency, 1))
    assert error.code() != grpc.StatusCode.OK
    assert (await get(jobs_service, dependency)).state == Job.STATE_RUNNING
    assert (await get(jobs_service, waiting)).state == Job.STATE_WAITING
    monkeypatch.setattr(jobs_store, "settle_waiting", original)
    assert (await complete(jobs_service, dependency, 1)).job.state == Job.STATE_SUCCEEDED
    assert (await get(jobs_service, waiting)).state == Job.STATE_QUEUED


@pytest.fixture
async def restartable_jobs(postgres, nats_server, jobs_service):
    """A jobs service of its own database, which the test may stop and start again."""
    settings = jobs_service.settings.model_copy(update={"database_url": fresh_database(postgres, "deps")})
    upgrade(MIGRATIONS, settings.database_url, "jobs")
    services = [await start_jobs(settings)]
    yield services
    await services[-1].channel.close()
    await services[-1].server.stop(1.0)


async def test_a_jobs_restart_after_a_dependency_finished_finds_its_dependent_queued_and_runnable(
        restartable_jobs, nats_server):
    service = restartable_jobs[0]
    dependency = await create(service, tenant="restart")
    waiting = await create(service, [dependency], tenant="restart")
    nc, log = await follow(nats_server.url, "restart")
    try:
        await run(service, dependency, tenant="restart")
        await service.channel.close()
        await service.server.stop(0)
        restarted = await start_jobs(service.settings)
        restartable_jobs.append(restarted)
        assert (await get(restarted, waiting, tenant="restart")).state == Job.STATE_QUEUED
        worker_job = Job(id=waiting.id, tenant_id="restart")
        assert (await start(restarted, worker_job)).decision == RUN

        async def published():
            states = [event.job.state for event in log.by_job[waiting.id]]
            return states == [Job.STATE_WAITING, Job.STATE_QUEUED, Job.STATE_RUNNING]
        await eventually(published, timeout=10)
    finally:
        await nc.close()


async def test_a_dependent_jobs_worker_receives_its_dependencies_results_and_artifacts_at_start(jobs_service):
    first, second = await create(jobs_service), await create(jobs_service)
    results = {}
    for job, rows in ((first, 3), (second, 5)):
        assert (await start(jobs_service, job)).decision == RUN
        result = job_pb2.JobResult(sentiment=sentiment_pb2.SentimentResult(items_truncated=rows > 4))
        artifact = job_pb2.Artifact(file_id=str(uuid.uuid4()), name=f"scores-{rows}.csv", media_type="text/csv")
        await jobs_service.execution.CompleteJob(ex.CompleteJobRequest(
            id=job.id, tenant_id="acme", attempt=1, result=result, artifacts=[artifact],
            capability=jobs_service.capability("acme", job.id)), metadata=jobs_service.worker)
        results[job.id] = (result, artifact)
    dependent = await create(jobs_service, [second, first])
    started = await start(jobs_service, dependent)
    assert started.decision == RUN
    assert [dep.id for dep in started.dependencies] == [second.id, first.id], "in inputs.jobs order"
    for dep in started.dependencies:
        result, artifact = results[dep.id]
        assert dep.state == Job.STATE_SUCCEEDED and dep.result == result and list(dep.artifacts) == [artifact]
    plain = await start(jobs_service, await create(jobs_service))
    assert plain.decision == RUN and not plain.dependencies


async def test_a_deadlock_while_settling_dependents_is_aborted_whole_and_a_retry_succeeds(jobs_service, postgres):
    """Settling locks the dependents of a job that ended while holding that job's row, so two
    settlements can deadlock; PostgreSQL rolls one back and the caller gets ABORTED (retried by the
    worker's client), with nothing half-done. Provoked here by holding a dependent's lock from outside."""
    dependency = await create(jobs_service)
    middle = await create(jobs_service, [dependency])
    last = await create(jobs_service, [middle])
    database = make_url(jobs_service.settings.database_url).database
    holder, watcher = postgres.connect(database), postgres.connect(database)
    try:
        holder.execute("SET deadlock_timeout = '30s'")  # the service's transaction detects it first
        holder.execute("BEGIN")
        holder.execute("SELECT 1 FROM jobs.jobs WHERE id = %s FOR UPDATE", (last.id,))
        cancelling = asyncio.create_task(cancel(jobs_service, middle))

        async def cancel_waits_for_the_held_lock():
            row = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
                (database,)).fetchone()
            return row is not None and row[0] == 1
        await eventually(cancel_waits_for_the_held_lock, timeout=10)
        await asyncio.to_thread(holder.execute, "SELECT 1 FROM jobs.jobs WHERE id = %s FOR UPDATE", (middle.id,))
        error = await rpc_error(cancelling)
        assert error.code() == grpc.StatusCode.ABORTED
        assert details_from_rpc_error(error).reason == "TRANSACTION_CONFLICT"
        holder.execute("ROLLBACK")
    finally:
        holder.close()
        watcher.close()
    assert (await get(jobs_service, middle)).state == Job.STATE_WAITING, "rolled back whole"
    assert (await cancel(jobs_service, middle)).state == Job.STATE_CANCELLED
    assert (await get(jobs_service, last)).error.code == "DEPENDENCY_FAILED"
