"""A restarted worker takes its SIGKILLed predecessor's jobs back at once (issue 20).

The worker processes hold ``ASSAY_WORKER_SLOT``; the lease (30 s) and AckWait (20 s) are long, so a
job re-run within a few seconds can only have been released by the successor starting in the slot.
A worker of another slot releases nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator

import grpc
import pytest
from harness import Postgres
from worker_fixtures import Stack, open_stack

from assay.devstack.servers.service import AssayService
from assay.v1 import job_execution_service_pb2 as ex
from assay.v1 import job_pb2

pytestmark = pytest.mark.integration
Job = job_pb2.Job
LEASE = 30.0
ACK_WAIT = 20.0


@pytest.fixture
async def stack(postgres: Postgres) -> AsyncIterator[Stack]:
    async with open_stack(postgres, lease_seconds=LEASE) as opened:
        yield opened


@pytest.fixture
def workers() -> Iterator[list[AssayService]]:
    """Worker processes a test spawned: SIGTERMed (then closed) at its end."""
    spawned: list[AssayService] = []
    yield spawned
    for worker in spawned:
        if worker.running and worker.proc is not None:
            worker.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.proc.wait(10)
        worker.close()


def _spawn(stack: Stack, workers: list[AssayService], slot: str) -> AssayService:
    worker = AssayService("analysis", {**os.environ, **stack.worker_env(
        ASSAY_WORKER_SLOT=slot, ASSAY_CONSUMER_ACK_WAIT_SECONDS=str(ACK_WAIT),
        ASSAY_CONSUMER_BACKOFF_MAX_SECONDS=str(ACK_WAIT))})
    worker.launch()
    workers.append(worker)
    return worker


async def _state(stack: Stack, job_id: str, *states: int, timeout: float) -> Job:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while True:
        job = await stack.get(job_id)
        if job.state in states or time.monotonic() > deadline:
            return job
        await asyncio.sleep(0.1)  # polling interval


def _kill(worker: AssayService) -> None:
    assert worker.proc is not None
    worker.proc.send_signal(signal.SIGKILL)
    worker.proc.wait(5)


async def test_a_worker_restarted_in_its_slot_reruns_its_predecessor_s_job_at_once(
        stack: Stack, workers: list[AssayService]) -> None:
    first = _spawn(stack, workers, "slot-a")
    job = await stack.create("sleep:3")
    running = await _state(stack, job.id, Job.STATE_RUNNING, timeout=30)
    assert running.state == Job.STATE_RUNNING and running.attempt == 1
    _kill(first)
    lease_ends = (await stack.get(job.id)).lease_expire_time.ToDatetime()  # the dead attempt's last lease
    _spawn(stack, workers, "slot-a")
    done = await _state(stack, job.id, Job.STATE_SUCCEEDED, timeout=LEASE + ACK_WAIT)
    assert done.state == Job.STATE_SUCCEEDED, Job.State.Name(done.state)
    assert done.attempt == 2
    # Without the slot's release, attempt 2 could only start once that lease had run out (a work
    # message redelivered after AckWait is answered RETRY_LATER until then); the successor's start
    # is timed by the machine's load, so the proof is this order, not a number of seconds.
    assert done.start_time.ToDatetime() < lease_ends, "attempt 2 waited for the lease: the slot released nothing"


async def test_a_worker_of_another_slot_leaves_a_live_lease_alone(stack: Stack, workers: list[AssayService]) -> None:
    first = _spawn(stack, workers, "slot-b")
    job = await stack.create("sleep:3")
    running = await _state(stack, job.id, Job.STATE_RUNNING, timeout=30)
    assert running.state == Job.STATE_RUNNING
    _kill(first)
    _spawn(stack, workers, "slot-c")
    later = await _state(stack, job.id, Job.STATE_SUCCEEDED, Job.STATE_QUEUED, timeout=8)
    assert later.state == Job.STATE_RUNNING and later.attempt == 1  # waits for the lease, as before


async def test_release_needs_a_worker_credential_and_both_ids(stack: Stack) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stack.jobs.execution.ReleaseWorkerAttempts(
            ex.ReleaseWorkerAttemptsRequest(worker_slot="s", worker_boot="b"), metadata=stack.jobs.token())
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED  # a tenant token, whatever its roles
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stack.jobs.execution.ReleaseWorkerAttempts(
            ex.ReleaseWorkerAttemptsRequest(worker_slot="s"), metadata=stack.jobs.worker)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    released = await stack.jobs.execution.ReleaseWorkerAttempts(
        ex.ReleaseWorkerAttemptsRequest(worker_slot="s", worker_boot="b"), metadata=stack.jobs.worker)
    assert released.released == 0
