"""Fair share end to end: real PostgreSQL, NATS JetStream, the jobs service and a worker.

One tenant's burst of 1,000 jobs is queued before another tenant's single job; the worker then
starts, and the single job must start within a bound set by the dispatch backlog and the worker's
slots, not after the burst.
"""

from __future__ import annotations

import asyncio

from harness import Postgres, eventually
from worker_fixtures import Stack, open_stack

from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job
BACKLOG = 2
SLOTS = 2


async def create(stack: Stack, tenant: str) -> Job:
    request = js.CreateJobRequest(analyzer="sentiment", inputs=job_pb2.JobInputs(text="ok"))
    return (await stack.jobs.jobs.CreateJob(request, metadata=stack.jobs.token(tenant=tenant))).job


async def started_jobs(stack: Stack, tenant: str) -> list[Job]:
    """The tenant's jobs that have started (running or finished), newest first."""
    started: list[Job] = []
    for state in (Job.STATE_RUNNING, Job.STATE_SUCCEEDED):
        token = ""
        while True:
            response = await stack.jobs.jobs.ListJobs(
                js.ListJobsRequest(page_size=100, state=state, page_token=token),
                metadata=stack.jobs.token(tenant=tenant))
            started += response.jobs
            token = response.next_page_token
            if not token:
                break
    return started


async def test_a_1000_job_burst_delays_another_tenants_job_by_at_most_backlog_and_slots(postgres: Postgres) -> None:
    async with open_stack(postgres, dispatch_backlog=BACKLOG) as stack:
        for _ in range(50):  # the burst: 1,000 jobs, 20 requests at a time
            await asyncio.gather(*(create(stack, "flood") for _ in range(20)))
        trickle = await create(stack, "trickle")

        worker = await stack.start_worker(worker_concurrency=SLOTS)
        try:
            request = js.GetJobRequest(id=trickle.id)
            token = stack.jobs.token(tenant="trickle")

            async def succeeded() -> Job | None:
                job = (await stack.jobs.jobs.GetJob(request, metadata=token)).job
                return job if job.state == Job.STATE_SUCCEEDED else None

            done = await eventually(succeeded, timeout=60)
        finally:
            await worker.stop(2.0)

        flood = await started_jobs(stack, "flood")
        ahead = [job for job in flood if job.start_time.ToDatetime() < done.start_time.ToDatetime()]
        assert len(ahead) <= BACKLOG + SLOTS, f"{len(ahead)} of the burst started before the other tenant's job"
        assert len(flood) < 1000
