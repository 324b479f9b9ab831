"""Analyzers of one priority share a worker's slots: real PostgreSQL, NATS JetStream, jobs and a worker.

After an outage a worker finds every analyzer's backlog at once. Slow contract reviews must not
take every slot while fast sentiment jobs wait: each analyzer keeps its share of the slots
(``assay.analysis.picker``), and every job still runs exactly once.
"""

# ruff: noqa: F811
from __future__ import annotations

from harness import eventually
from test_worker_priority import in_state, stored
from worker_fixtures import SCRIPTED, Stack, stack  # noqa: F401 - fixture

from assay.analysis.registry import Registry
from assay.common.nats import work_subject
from assay.v1 import contract_review_pb2, job_pb2
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job
CONTRACT = "worker_analyzers:SCRIPTED_CONTRACT"


async def create(stack: Stack, analyzer: str, text: str) -> Job:
    params = job_pb2.JobParams()
    if analyzer == "contract_review":
        params.contract_review.CopyFrom(contract_review_pb2.ContractReviewParams(
            contract_type=contract_review_pb2.CONTRACT_TYPE_MSA, jurisdiction=contract_review_pb2.JURISDICTION_EU))
    request = js.CreateJobRequest(analyzer=analyzer, inputs=job_pb2.JobInputs(text=text), params=params,
                                  no_cache=True)
    return (await stack.jobs.jobs.CreateJob(request, metadata=stack.jobs.token())).job


async def test_a_fast_analyzers_jobs_keep_flowing_while_a_slow_one_has_a_backlog(stack: Stack) -> None:
    """Both backlogs are queued before the worker starts (as after an outage); its two slots are free
    at once. Before: the contract reviews, listed first, took both slots and every sentiment job
    waited for a review to end (one sentiment start per review ended). Now one slot each: all
    sentiment jobs run while the first review still runs, and a second review starts only once the
    last sentiment job has (the slot it frees)."""
    reviews = [await create(stack, "contract_review", "sleep:60") for _ in range(4)]
    sentiment = [await create(stack, "sentiment", "ok") for _ in range(12)]
    await stored(stack, {work_subject("contract_review", 0): 4, work_subject("sentiment", 0): 12})
    registry = Registry()
    registry.add_ref(SCRIPTED)
    registry.add_ref(CONTRACT)
    worker = await stack.start_worker(registry, worker_concurrency=2)
    try:
        done = await in_state(stack, sentiment, Job.STATE_SUCCEEDED, timeout=50.0)
        last_start = max(job.start_time.ToDatetime() for job in done)  # its slot is freed before it is settled,
        started = await eventually(lambda: _started(stack, reviews), timeout=15.0)  # so not its end
        assert sorted(job.start_time.ToDatetime() < last_start for job in started) == [False, True], \
            [(job.start_time.ToDatetime(), last_start) for job in started]
        assert all(job.state == Job.STATE_RUNNING and job.attempt == 1 for job in started)
        assert all(job.attempt == 1 for job in done)  # each ran once
    finally:
        for job in reviews:
            await stack.cancel(job.id)
        await in_state(stack, reviews, Job.STATE_CANCELLED, timeout=30.0)
        await worker.stop(2.0)


async def _started(stack: Stack, reviews: list[Job]) -> list[Job] | None:
    """The reviews that have started, once the slot the sentiment jobs left has gone to a second one."""
    current = [await stack.get(job.id) for job in reviews]
    started = [job for job in current if job.HasField("start_time")]
    return started if len(started) >= 2 else None
