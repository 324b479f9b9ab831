"""The worker's concurrent attempts start and end through StartJobs / CompleteJobs, each job
settled (against a real NATS JetStream, PostgreSQL and the in-process jobs service)."""

from __future__ import annotations

import asyncio

from prometheus_client import REGISTRY
from worker_fixtures import Stack, stack  # noqa: F401 - fixture

from assay.v1 import job_pb2

Job = job_pb2.Job


def batched(batcher: str) -> tuple[float, float]:
    """(batch calls, items in them) of the worker's ``batcher`` so far."""
    labels = {"batcher": batcher}
    return (REGISTRY.get_sample_value("assay_group_commit_batch_size_count", labels) or 0.0,
            REGISTRY.get_sample_value("assay_group_commit_batch_size_sum", labels) or 0.0)


async def test_concurrent_attempts_start_and_complete_in_batch_calls_once_each(stack: Stack) -> None:  # noqa: F811
    starts, completes = batched("start_jobs"), batched("complete_jobs")
    jobs = [await stack.create(f"batched review {n} is good") for n in range(12)]
    worker = await stack.start_worker(worker_concurrency=4)
    try:
        done = await asyncio.gather(*(stack.reaches(job.id, Job.STATE_SUCCEEDED, timeout=60) for job in jobs))
    finally:
        await worker.stop(2.0)
    assert all(job.state == Job.STATE_SUCCEEDED for job in done)
    # every start and completion went through the batch calls (a redelivery under load asks again)
    assert batched("start_jobs")[1] - starts[1] >= 12
    assert batched("complete_jobs")[1] - completes[1] >= 12


async def test_batching_off_calls_one_by_one(stack: Stack) -> None:  # noqa: F811
    starts = batched("start_jobs")
    job = await stack.create("single call review")
    worker = await stack.start_worker(worker_batch_size=0)
    try:
        done = await stack.reaches(job.id, Job.STATE_SUCCEEDED, timeout=60)
    finally:
        await worker.stop(2.0)
    assert done.attempt == 1
    assert batched("start_jobs") == starts
