"""A dependency outage must not spend the job's attempts (issue 20.1): with the worker's ingest, S3
or jobs unreachable, queued jobs wait (lease or message held, no new work fetched, readiness
NOT_SERVING) and once the dependency answers again they succeed on attempt 1, each message
delivered once."""

# ruff: noqa: F811
from __future__ import annotations

import asyncio
import contextlib

import pytest
from file_job_fixtures import (
    FileStack,
    file_stack,  # noqa: F401 - fixture
    reviews_csv,
)
from grpc_health.v1 import health_pb2, health_pb2_grpc
from harness import eventually
from ingest_fixtures import new_tenant

from assay.analysis.metrics import ATTEMPTS, BREAKER_OPEN, DEPENDENCY_RETRIES
from assay.common.grpc_client import open_channel
from assay.devstack.servers import free_port
from assay.v1 import job_pb2

pytestmark = pytest.mark.integration
Job = job_pb2.Job


class Relay:
    """A TCP relay on ``port`` to ``target``: refused while closed (ingest "down"), forwarding once opened."""

    def __init__(self, port: int, target: str) -> None:
        self.port = port
        self._host, _, target_port = target.rpartition(":")
        self._target_port = int(target_port)
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._connect, "127.0.0.1", self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for pipe in list(self._pipes):
                pipe.cancel()
            await self._server.wait_closed()

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(self._host or "127.0.0.1", self._target_port)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        with contextlib.suppress(Exception):
            sink.close()


@pytest.mark.parametrize(("dependency", "setting", "call"), [
    ("ingest", "ingest_addr", "ResolveInputs"),
    ("s3", "s3_endpoint", "ResolveInputs"),
    ("jobs", "jobs_addr", "StartJob"),
])
async def test_jobs_queued_during_a_dependency_outage_succeed_on_attempt_one(
    file_stack: FileStack, dependency: str, setting: str, call: str,
) -> None:
    tenant = new_tenant()
    target = {"ingest": file_stack.ingest.address, "s3": file_stack.s3.endpoint,
              "jobs": f"127.0.0.1:{file_stack.jobs.server.port}"}[dependency]
    relay = Relay(free_port(), target)
    retried = DEPENDENCY_RETRIES.labels(dependency=dependency, call=call)
    before = retried._value.get()
    start_failed = ATTEMPTS.labels(analyzer="sentiment", outcome="start_failed")
    start_failed_before = start_failed._value.get()
    submitted = [await file_stack.submit(reviews_csv(20), tenant=tenant) for _ in range(3)]
    worker = await file_stack.start_worker(**{setting: f"127.0.0.1:{relay.port}"},
                                           worker_backoff_base_seconds=0.05, worker_backoff_max_seconds=0.5,
                                           worker_breaker_threshold=1, worker_breaker_cooldown_seconds=1.0)
    assert worker.grpc is not None
    channel = open_channel(f"127.0.0.1:{worker.grpc.port}")
    health = health_pb2_grpc.HealthStub(channel)
    try:
        async def waiting_out_the_outage() -> bool:
            return retried._value.get() >= before + 2 and BREAKER_OPEN.labels(dependency=dependency)._value.get() == 1

        await eventually(waiting_out_the_outage, timeout=60)

        async def readiness(status: int) -> bool:
            return (await health.Check(health_pb2.HealthCheckRequest(), timeout=2)).status == status

        await eventually(lambda: readiness(health_pb2.HealthCheckResponse.NOT_SERVING), timeout=5)
        states = [(await file_stack.get(s.job.id, tenant)).state for s in submitted]
        assert Job.STATE_FAILED not in states
        assert states.count(Job.STATE_RUNNING) <= 1  # concurrency 1: the others were not fetched meanwhile

        await relay.open()  # ingest is back
        for s in submitted:
            done = await file_stack.settled(s.job.id, tenant, Job.STATE_SUCCEEDED, timeout=30)
            assert done.attempt == 1, done
        assert start_failed._value.get() == start_failed_before  # no message given back for an outage
        await eventually(lambda: readiness(health_pb2.HealthCheckResponse.SERVING), timeout=10)
    finally:
        await channel.close()
        await worker.stop(2.0)
        await relay.close()
