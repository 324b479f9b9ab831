"""The analysis worker against a real NATS JetStream, PostgreSQL and the in-process jobs service."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time

import grpc
import httpx
import pytest
from harness import eventually
from prometheus_client.parser import text_string_to_metric_families
from worker_fixtures import LEASE_SECONDS, SCRIPTED_BATCHED, Stack, builtin_registry, stack  # noqa: F401 - fixture

from assay.analysis.consumer import consumer_name
from assay.common.analyzers import SPECS
from assay.common.auth import mint_token
from assay.common.grpc_client import bearer, open_channel
from assay.common.nats import WORK_STREAM, connect, event_subject
from assay.devstack.servers import free_port
from assay.devstack.servers.service import AssayService
from assay.devstack.servers.serving import alive, descendants, kill_family
from assay.v1 import analysis_service_pb2, analysis_service_pb2_grpc, events_pb2, job_pb2

Job = job_pb2.Job


async def settled(stack: Stack, job_id: str, state: int, timeout: float = 15.0) -> Job:  # noqa: ASYNC109, F811
    async def check() -> Job | None:
        job = await stack.get(job_id)
        return job if job.state == state else None
    return await eventually(check, timeout=timeout)


async def test_a_text_sentiment_job_succeeds_end_to_end_and_analyzers_are_listed(stack: Stack) -> None:  # noqa: F811
    worker = await stack.start_worker(builtin_registry())
    try:
        job = await stack.create("I absolutely love this, it is wonderful!")
        done = await settled(stack, job.id, Job.STATE_SUCCEEDED)
        assert done.attempt == 1 and done.progress == 100
        assert done.result.sentiment.statistics.rows_scored == 1

        channel = open_channel(f"127.0.0.1:{worker.port}")
        token = mint_token(worker.settings, subject="reader", tenant="acme", roles=["readonly"])
        listed = await analysis_service_pb2_grpc.AnalysisServiceStub(channel).ListAnalyzers(
            analysis_service_pb2.ListAnalyzersRequest(), metadata=bearer(token))
        await channel.close()
        sentiment = next(a for a in listed.analyzers if a.name == "sentiment")
        assert sentiment.accepts_text and sentiment.params_type == "assay.v1.SentimentParams"
        assert sentiment.max_text_chars == SPECS["sentiment"].max_text_chars
        assert set(sentiment.params_schema["properties"].keys()) == {"text_column", "model", "aspects"}
    finally:
        await worker.stop(2.0)


async def test_cancelling_a_running_job_stops_it_and_the_worker_takes_the_next_job(stack: Stack) -> None:  # noqa: F811
    worker = await stack.start_worker(worker_concurrency=1)
    try:
        long = await stack.create("sleep:60")

        async def progressing() -> bool:
            job = await stack.get(long.id)
            return job.state == Job.STATE_RUNNING and job.progress > 0
        await eventually(progressing, timeout=10)
        cancelled_at = time.monotonic()
        await stack.cancel(long.id)
        await settled(stack, long.id, Job.STATE_CANCELLED, timeout=10)
        assert time.monotonic() - cancelled_at < worker.settings.worker_heartbeat_seconds + 2.0
        following = await stack.create("ok")
        await settled(stack, following.id, Job.STATE_SUCCEEDED)
    finally:
        await worker.stop(2.0)


async def test_a_retryable_failure_is_retried_with_growing_delays_then_succeeds(stack: Stack) -> None:  # noqa: F811
    nc = await connect(stack.worker_settings(), "test-events")
    delays: list[float] = []

    async def on_event(msg) -> None:  # type: ignore[no-untyped-def]
        event = events_pb2.JobEvent.FromString(msg.data)
        if event.job.state == Job.STATE_QUEUED and event.job.HasField("next_attempt_time"):
            gap = event.job.next_attempt_time.ToDatetime() - event.event_time.ToDatetime()
            delays.append(gap.total_seconds())

    worker = await stack.start_worker()
    try:
        job = await stack.create("fail-until:2", max_attempts=3)
        await nc.subscribe(event_subject("acme", job.id), cb=on_event)
        done = await settled(stack, job.id, Job.STATE_SUCCEEDED)
        assert done.attempt == 3
        await eventually(lambda: asyncio.sleep(0, len(delays) == 2))
        assert 0 < delays[0] <= delays[1], delays
    finally:
        await worker.stop(2.0)
        await nc.drain()


async def test_an_always_crashing_analyzer_is_dead_lettered_after_max_deliver(stack: Stack) -> None:  # noqa: F811
    worker = await stack.start_worker(consumer_max_deliver=3)
    try:
        job = await stack.create("crash", max_attempts=10)
        failed = await settled(stack, job.id, Job.STATE_FAILED, timeout=20)
        assert failed.error.code == "DEAD_LETTERED" and not failed.error.retryable
        assert "WORKER_CRASHED" in failed.error.message
        assert failed.attempt == 3
        assert await stack.running_jobs() == []
        # JetStream gave up on the message but keeps it for inspection and replay.
        js = worker.nc.jetstream()

        async def kept() -> bool:
            info = await js.consumer_info(WORK_STREAM, consumer_name("sentiment", 0))
            stream = await js.stream_info(WORK_STREAM)
            return info.num_ack_pending == 0 and stream.state.messages == 1
        await eventually(kept, timeout=10)
    finally:
        await worker.stop(2.0)


async def test_a_runaway_analyzer_is_killed_at_its_time_limit(stack: Stack) -> None:  # noqa: F811
    worker = await stack.start_worker(worker_time_limit_seconds=1.0)
    try:
        job = await stack.create("hang")
        failed = await settled(stack, job.id, Job.STATE_FAILED, timeout=10)
        assert failed.error.code == "TIME_LIMIT_EXCEEDED" and not failed.error.retryable
        following = await stack.create("ok")
        await settled(stack, following.id, Job.STATE_SUCCEEDED)
    finally:
        await worker.stop(2.0)


def _spawn_worker(stack: Stack, **env: str) -> AssayService:  # noqa: F811
    """``python -m assay.analysis`` launched (not awaited), its log in a temp dir of its own; ``env``
    overrides the stack's worker environment."""
    worker = AssayService("analysis", {**os.environ, **stack.worker_env(**env)})
    worker.launch()
    return worker


def _stop_workers(*workers: AssayService | None) -> None:
    """SIGTERM each worker still running and wait for it to drain (10 s), then close it."""
    for worker in workers:
        if worker is not None and worker.running:
            assert worker.proc is not None
            worker.proc.send_signal(signal.SIGTERM)
            try:
                worker.proc.wait(10)
            except subprocess.TimeoutExpired:
                worker.close()
                pytest.fail("the worker did not drain within 10 s of SIGTERM")
        if worker is not None:
            worker.close()


async def test_a_sigkilled_worker_s_job_succeeds_once_on_attempt_two(stack: Stack) -> None:  # noqa: F811
    first = _spawn_worker(stack)
    second: AssayService | None = None
    try:
        job = await stack.create("sleep:1.5")
        running = await settled(stack, job.id, Job.STATE_RUNNING, timeout=20)
        assert running.attempt == 1
        assert first.proc is not None
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(5)
        second = _spawn_worker(stack)
        done = await settled(stack, job.id, Job.STATE_SUCCEEDED, timeout=LEASE_SECONDS * 4 + 15)
        assert done.attempt == 2
    finally:
        _stop_workers(first, second)


SMALL_BATCHES_ENV = {
    "ASSAY_WORKER_PLUGINS": SCRIPTED_BATCHED, "ASSAY_WORKER_CONCURRENCY": "1",
    "ASSAY_WORKER_SMALL_CONCURRENCY": "16", "ASSAY_WORKER_SMALL_BATCH_SIZE": "16",
    # Batches keep their size whatever the attempts' pace; no spare child to take one attempt alone.
    "ASSAY_WORKER_SMALL_WINDOW_SECONDS": "0", "ASSAY_WORKER_SMALL_SPARE_CHILDREN": "0",
}


async def _metric(port: int, name: str, **labels: str) -> float:
    """A sample of the worker's /metrics on ``port`` (0 when absent)."""
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"http://127.0.0.1:{port}/metrics", timeout=5)).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


async def _small_batches(port: int) -> tuple[float, float]:
    """(attempts, batches) the worker on metrics ``port`` has handed to small-attempt exchanges."""
    return (await _metric(port, "assay_group_commit_batch_size_sum", batcher="small_attempts"),
            await _metric(port, "assay_group_commit_batch_size_count", batcher="small_attempts"))


async def test_a_worker_sigkilled_while_small_jobs_share_a_child_exchange_loses_none_of_them(
        stack: Stack) -> None:  # noqa: F811
    ids = [(await stack.create("sleep:1")).id for _ in range(6)]  # in the stream before the worker fetches
    first_metrics, second_metrics = free_port(), free_port()
    first = _spawn_worker(stack, ASSAY_METRICS_PORT=str(first_metrics), **SMALL_BATCHES_ENV)
    second: AssayService | None = None
    try:
        async def inside_one_exchange() -> bool:
            jobs = [await stack.get(job_id) for job_id in ids]
            assert [(job.state, job.attempt) for job in jobs] == [(Job.STATE_RUNNING, 1)] * 6
            assert await _small_batches(first_metrics) == (6.0, 1.0)  # all six in one child exchange
            return True
        # The exchange runs its six one-second attempts one after the other and answers once, at its end.
        await eventually(inside_one_exchange, timeout=60, retry_on=(AssertionError, httpx.TransportError))
        assert first.pid is not None and first.proc is not None
        family = {pid for pid in descendants(first.pid) if alive(pid)}
        assert len(family) >= 2, family  # the worker's forkserver and the child running the exchange
        kill_family(first.proc)

        second = _spawn_worker(stack, ASSAY_METRICS_PORT=str(second_metrics), **SMALL_BATCHES_ENV)

        async def all_succeeded() -> list[Job]:
            jobs = [await stack.get(job_id) for job_id in ids]
            assert not [job for job in jobs if job.state == Job.STATE_FAILED], jobs
            return jobs if all(job.state == Job.STATE_SUCCEEDED for job in jobs) else []
        jobs = await eventually(all_succeeded, timeout=LEASE_SECONDS * 4 + 6 + 30)
        assert [job.attempt for job in jobs] == [2] * 6
        assert all(job.result.sentiment.statistics.rows_scored == 1 for job in jobs)
        # Each ran to success exactly once after the kill, in the second worker, again as small attempts.
        assert await _metric(second_metrics, "assay_worker_attempt_duration_seconds_count",
                             analyzer="sentiment", outcome="succeeded") == 6
        assert (await _small_batches(second_metrics))[0] == 6
        assert not [pid for pid in family if alive(pid)]  # nothing of the killed worker left running
    finally:
        _stop_workers(first, second)


async def test_unauthenticated_list_analyzers_is_refused(stack: Stack) -> None:  # noqa: F811
    worker = await stack.start_worker()
    try:
        channel = open_channel(f"127.0.0.1:{worker.port}")
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await analysis_service_pb2_grpc.AnalysisServiceStub(channel).ListAnalyzers(
                analysis_service_pb2.ListAnalyzersRequest())
        await channel.close()
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        await worker.stop(2.0)
