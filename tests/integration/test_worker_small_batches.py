"""Small attempts beyond the ordinary slots, several per child exchange; isolation kept by running a
failed batch's attempts one by one (real NATS JetStream, PostgreSQL and the in-process jobs service)."""

from __future__ import annotations

import asyncio

from harness import eventually
from prometheus_client import REGISTRY
from worker_fixtures import SCRIPTED_BATCHED, Stack, stack  # noqa: F401 - fixture

from assay.analysis.registry import Registry
from assay.common.nats import WORK_STREAM, connect
from assay.v1 import events_pb2, job_pb2
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job


def batched_registry() -> Registry:
    registry = Registry()
    registry.add_ref(SCRIPTED_BATCHED)
    return registry


def batch_sizes() -> tuple[float, float]:
    """(items, batches) served by the small attempts' batches so far in this process."""
    labels = {"batcher": "small_attempts"}
    return (REGISTRY.get_sample_value("assay_group_commit_batch_size_sum", labels) or 0.0,
            REGISTRY.get_sample_value("assay_group_commit_batch_size_count", labels) or 0.0)


def batches_run_alone() -> float:
    return REGISTRY.get_sample_value("assay_worker_small_batches_run_alone_total") or 0.0


async def finished(stack: Stack, job_ids: list[str], timeout: float = 30.0) -> list[Job]:  # noqa: ASYNC109, F811
    """The jobs once every one is terminal, polled until ``timeout``."""
    terminal = {Job.STATE_SUCCEEDED, Job.STATE_FAILED, Job.STATE_CANCELLED}
    async with asyncio.timeout(timeout):
        while True:
            jobs = [await stack.get(job_id) for job_id in job_ids]
            if all(job.state in terminal for job in jobs):
                return jobs
            await asyncio.sleep(0.1)


async def test_small_attempts_run_many_at_once_in_shared_exchanges_beyond_the_ordinary_slots(
        stack: Stack) -> None:  # noqa: F811
    ids = [(await stack.create("ok")).id for _ in range(12)]  # all in the stream before the worker looks
    nc = await connect(stack.worker_settings(), "reader")
    try:
        js_ctx = nc.jetstream()

        async def dispatched() -> list[events_pb2.WorkMessage]:
            stored = (await js_ctx.stream_info(WORK_STREAM)).state.messages
            assert stored == 12
            return [events_pb2.WorkMessage.FromString((await js_ctx.get_msg(WORK_STREAM, seq)).data or b"")
                    for seq in range(1, 13)]

        messages = await eventually(dispatched, timeout=10)
        assert all(message.small for message in messages)  # jobs says so: inline text of sentiment
    finally:
        await nc.drain()
    items, batches = batch_sizes()
    worker = await stack.start_worker(batched_registry(), worker_concurrency=1, worker_small_concurrency=16,
                                      worker_small_batch_size=16)
    try:
        jobs = await finished(stack, ids)
        assert [job.state for job in jobs] == [Job.STATE_SUCCEEDED] * 12
        assert {job.attempt for job in jobs} == {1}
        assert all(job.result.sentiment.statistics.rows_scored == 1 for job in jobs)
        served, run = batch_sizes()[0] - items, batch_sizes()[1] - batches
        assert served == 12 and run < 12, (served, run)  # with one ordinary slot: exchanges of several
    finally:
        await worker.stop(2.0)


async def test_a_poison_input_in_a_batch_fails_alone_and_the_others_succeed_in_their_first_attempt(
        stack: Stack) -> None:  # noqa: F811
    ok = [(await stack.create("ok")).id for _ in range(6)]
    poison = (await stack.create("crash", max_attempts=2)).id
    ok += [(await stack.create("ok")).id for _ in range(2)]
    alone = batches_run_alone()
    worker = await stack.start_worker(batched_registry(), worker_concurrency=1, worker_small_concurrency=16)
    try:
        jobs = await finished(stack, [*ok, poison])
        *fine, crashed = jobs
        assert [job.state for job in fine] == [Job.STATE_SUCCEEDED] * len(ok)
        assert {job.attempt for job in fine} == {1}  # run again alone within the attempt they started
        assert crashed.state == Job.STATE_FAILED and crashed.error.code == "WORKER_CRASHED"
        assert crashed.attempt == 2  # the poison input spent its own attempts only
        assert batches_run_alone() - alone >= 1
        assert await stack.running_jobs() == []
    finally:
        await worker.stop(2.0)


async def test_a_batch_past_its_time_limit_ends_only_the_runaway_attempt(stack: Stack) -> None:  # noqa: F811
    ok = [(await stack.create("ok")).id for _ in range(4)]
    runaway = (await stack.create("hang")).id
    alone = batches_run_alone()
    worker = await stack.start_worker(batched_registry(), worker_concurrency=1, worker_small_concurrency=16,
                                      worker_time_limit_seconds=1.0)
    try:
        jobs = await finished(stack, [*ok, runaway])
        *fine, hung = jobs
        assert [job.state for job in fine] == [Job.STATE_SUCCEEDED] * len(ok)
        assert {job.attempt for job in fine} == {1}
        assert hung.state == Job.STATE_FAILED and hung.error.code == "TIME_LIMIT_EXCEEDED"
        assert batches_run_alone() - alone >= 1
    finally:
        await worker.stop(2.0)


async def test_attempts_of_a_batching_analyzer_that_are_not_small_share_the_ordinary_slots(
        stack: Stack) -> None:  # noqa: F811
    worker = await stack.start_worker(batched_registry(), worker_concurrency=1, worker_small_concurrency=16)
    try:
        dependency = (await finished(stack, [(await stack.create("ok")).id]))[0]
        assert dependency.state == Job.STATE_SUCCEEDED
        not_small = [(await stack.jobs.jobs.CreateJob(js.CreateJobRequest(
            analyzer="sentiment", inputs=job_pb2.JobInputs(text="sleep:1.5", jobs=[dependency.id])),
            metadata=stack.jobs.token())).job.id for _ in range(2)]
        first, second = sorted((await finished(stack, not_small)), key=lambda job: job.end_time.ToDatetime())
        assert first.state == second.state == Job.STATE_SUCCEEDED
        # One ordinary slot: the second ran after the first, not beside it in a child of its own.
        ran_apart = (second.end_time.ToDatetime() - first.end_time.ToDatetime()).total_seconds()
        assert ran_apart >= 1.2, ran_apart
    finally:
        await worker.stop(2.0)
