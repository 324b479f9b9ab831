"""Priority-ordered dispatch with the workers saturated: real PostgreSQL, NATS JetStream, jobs and a worker.

Two ``sleep:60`` jobs hold both slots of the worker while the queue fills; cancelling one frees a
single slot, through which every queued job then runs one after another, so the order of their
start times is the order the worker chose them in.
"""

# ruff: noqa: F811
from __future__ import annotations

from harness import eventually
from nats.js.api import AckPolicy
from worker_fixtures import Stack, stack  # noqa: F401 - fixture

from assay.analysis.consumer import legacy_consumer_name
from assay.common.nats import ALL_WORK, STORED_WORK, WORK_STREAM, connect, work_destination, work_subject
from assay.v1 import events_pb2, job_pb2
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job


async def create(stack: Stack, text: str, *, priority: int = 0, tenant: str = "acme") -> Job:
    request = js.CreateJobRequest(analyzer="sentiment", inputs=job_pb2.JobInputs(text=text), priority=priority)
    return (await stack.jobs.jobs.CreateJob(request, metadata=stack.jobs.token(tenant=tenant))).job


async def get(stack: Stack, job: Job) -> Job:
    request = js.GetJobRequest(id=job.id)
    return (await stack.jobs.jobs.GetJob(request, metadata=stack.jobs.token(tenant=job.tenant_id))).job


async def in_state(stack: Stack, jobs: list[Job], state: int, timeout: float = 30.0) -> list[Job]:  # noqa: ASYNC109
    async def check() -> list[Job] | None:
        current = [await get(stack, job) for job in jobs]
        return current if all(job.state == state for job in current) else None
    return await eventually(check, timeout=timeout)


async def stored(stack: Stack, expected: dict[str, int]) -> None:
    """Wait until the work stream holds exactly ``expected`` messages per subject."""
    nc = await connect(stack.worker_settings(), "test-stream-info")
    try:
        async def check() -> bool:
            info = await nc.jetstream().stream_info(WORK_STREAM, subjects_filter=ALL_WORK)
            return (info.state.subjects or {}) == expected
        await eventually(check, timeout=15)
    finally:
        await nc.close()


def start_order(jobs: list[Job]) -> list[str]:
    return [job.id for job in sorted(jobs, key=lambda j: j.start_time.ToDatetime())]


async def saturate(stack: Stack) -> list[Job]:
    """Two long jobs running: both slots of the worker busy."""
    blockers = [await create(stack, "sleep:60"), await create(stack, "sleep:60")]
    await in_state(stack, blockers, Job.STATE_RUNNING)
    return blockers


async def drain_through_one_slot(stack: Stack, blockers: list[Job], queue: list[Job]) -> list[Job]:
    """Cancel one blocker, let ``queue`` run through its slot, then cancel the other blocker."""
    await stack.cancel(blockers[0].id)
    done = await in_state(stack, queue, Job.STATE_SUCCEEDED)
    await stack.cancel(blockers[1].id)
    await in_state(stack, blockers, Job.STATE_CANCELLED)
    return done


async def test_with_both_slots_busy_higher_priority_starts_first_within_and_across_tenants(
    stack: Stack,
) -> None:
    worker = await stack.start_worker(worker_concurrency=2)
    try:
        blockers = await saturate(stack)
        low = [await create(stack, "ok") for _ in range(3)]
        mid = await create(stack, "ok", priority=5)
        high = await create(stack, "ok", priority=9, tenant="globex")
        await stored(stack, {work_subject("sentiment", 0): 5, work_subject("sentiment", 5): 1,
                             work_subject("sentiment", 9): 1})

        done = await drain_through_one_slot(stack, blockers, [*low, mid, high])

        assert start_order(done) == [high.id, mid.id, *(job.id for job in low)]
    finally:
        await worker.stop(2.0)


async def test_a_waiting_lower_priority_is_passed_over_at_most_patience_times(stack: Stack) -> None:
    worker = await stack.start_worker(worker_concurrency=2, worker_priority_patience=2)
    try:
        blockers = await saturate(stack)
        low = await create(stack, "ok")
        high = [await create(stack, "ok", priority=9) for _ in range(5)]
        await stored(stack, {work_subject("sentiment", 0): 3, work_subject("sentiment", 9): 5})

        done = await drain_through_one_slot(stack, blockers, [low, *high])

        assert start_order(done) == [high[0].id, high[1].id, low.id, *(job.id for job in high[2:])]
    finally:
        await worker.stop(2.0)


async def test_work_an_older_version_left_on_the_subject_without_priority_still_runs(stack: Stack) -> None:
    """A deployment from before priorities: its stream without the doorbell, its consumer and a
    message on ``assay.work.sentiment``."""
    nc = await connect(stack.worker_settings(), "test-legacy")
    try:
        jetstream = nc.jetstream()
        before = (await jetstream.stream_info(WORK_STREAM)).config
        before.republish = None
        await jetstream.update_stream(before)
        assert (await jetstream.stream_info(WORK_STREAM)).config.republish is None
        await jetstream.add_consumer(WORK_STREAM, durable_name=legacy_consumer_name("sentiment"),
                                     filter_subject=work_destination("sentiment"), ack_policy=AckPolicy.EXPLICIT)
        job = await create(stack, "ok")
        await stored(stack, {work_subject("sentiment", 0): 1})
        await jetstream.purge_stream(WORK_STREAM, subject=work_subject("sentiment", 0))
        message = events_pb2.WorkMessage(job_id=job.id, tenant_id=job.tenant_id, attempt=1,
                                         capability=stack.jobs.capability(job.tenant_id, job.id))
        await jetstream.publish(work_destination("sentiment"), message.SerializeToString())

        worker = await stack.start_worker()
        try:
            await in_state(stack, [job], Job.STATE_SUCCEEDED)
            await stored(stack, {})
            republish = (await jetstream.stream_info(WORK_STREAM)).config.republish
            assert republish is not None and republish.dest == f"{STORED_WORK}.>"
            following = await create(stack, "ok", priority=3)
            await in_state(stack, [following], Job.STATE_SUCCEEDED)
        finally:
            await worker.stop(2.0)
    finally:
        await nc.close()
