"""Inside a worker, another tenant's small attempt does not wait behind a flood's slow attempts
(``assay.analysis.fair_queue``): real PostgreSQL, NATS JetStream, the jobs service with its fair-share
dispatcher and a worker whose children run the scripted analyzer.

A flooding tenant's slow attempts (``sleep:``) hold both children and the small slots, more wait in
the stream and more are held by the dispatcher; then another tenant submits one job, which the
dispatcher sends ahead of the backlog. Before, that job was fetched only once a small slot freed and
then queued behind the flood's attempts already fetched (first in, first out): it ran only after a
slow attempt had ended, here after a minute. Each test asserts a condition with a deadline well below
that minute, never a duration.
"""

from __future__ import annotations

from harness import Postgres, eventually
from test_worker_small_batches import batched_registry
from worker_fixtures import Stack, open_stack

from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job
FLOOD = "flood"
SMALL_SLOTS = dict(worker_concurrency=2, worker_small_concurrency=4, worker_small_batch_size=1)
"""Two children; the small fetch loop holds two attempts per child (running and next), one per batch."""


async def create_as(stack: Stack, tenant: str, text: str) -> Job:
    request = js.CreateJobRequest(analyzer="sentiment", inputs=job_pb2.JobInputs(text=text), no_cache=True)
    return (await stack.jobs.jobs.CreateJob(request, metadata=stack.jobs.token(tenant=tenant))).job


async def states(stack: Stack, jobs: list[Job], tenant: str) -> list[int]:
    token = stack.jobs.token(tenant=tenant)
    return [(await stack.jobs.jobs.GetJob(js.GetJobRequest(id=job.id), metadata=token)).job.state for job in jobs]


async def running(stack: Stack, jobs: list[Job], tenant: str, count: int) -> None:
    """Wait until ``count`` of ``jobs`` have started (StartJob: fetched into the worker's small slots)."""
    async def check() -> bool:
        return (await states(stack, jobs, tenant)).count(Job.STATE_RUNNING) == count
    await eventually(check, timeout=30)


async def test_another_tenants_job_runs_in_a_spare_child_while_slow_attempts_hold_every_child(
        postgres: Postgres) -> None:
    async with open_stack(postgres, dispatch_backlog=2) as stack:
        worker = await stack.start_worker(batched_registry(), **SMALL_SLOTS)
        try:
            flood = [await create_as(stack, FLOOD, "sleep:60") for _ in range(20)]
            await running(stack, flood, FLOOD, 4)  # 2 in the children, 2 queued in the worker, the rest behind
            other = await stack.create("ok")
            done = await stack.reaches(other.id, Job.STATE_SUCCEEDED, timeout=30)
            assert done.attempt == 1
            # The flood's attempts were not displaced: the same four still run or wait in the worker,
            # none ended, none more started (the spare child is not the flood's).
            assert (await states(stack, flood, FLOOD)).count(Job.STATE_RUNNING) == 4
        finally:
            await worker.stop(1.0)


async def test_without_a_spare_child_another_tenants_job_takes_the_next_free_child_before_the_flood(
        postgres: Postgres) -> None:
    async with open_stack(postgres, dispatch_backlog=2) as stack:
        worker = await stack.start_worker(batched_registry(), worker_small_spare_children=0, **SMALL_SLOTS)
        try:
            first = [await create_as(stack, FLOOD, text) for text in ("sleep:2", "sleep:4")]
            await running(stack, first, FLOOD, 2)  # the two children's
            queued = [await create_as(stack, FLOOD, "sleep:60") for _ in range(18)]
            await running(stack, queued, FLOOD, 2)  # fetched, waiting in the worker for a child
            other = await stack.create("ok")
            # Fetched at once beside the full small slots (sent ahead of the backlog), the other tenant's
            # attempt takes the next child to free, before the two flood attempts that waited there
            # longer; first in, first out ran those (a minute each) first.
            done = await stack.reaches(other.id, Job.STATE_SUCCEEDED, timeout=30)
            assert done.attempt == 1
            assert (await states(stack, first, FLOOD))[0] == Job.STATE_SUCCEEDED  # it freed the child
            assert Job.STATE_SUCCEEDED not in await states(stack, queued, FLOOD)
        finally:
            await worker.stop(1.0)
