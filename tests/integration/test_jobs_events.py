"""Lifecycle events: the outbox relay publishes every transition, in order, through crashes and restarts."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import grpc
import nats
import pytest
from harness import eventually
from harness.jobs import start_jobs
from test_jobs_lifecycle import complete, create, heartbeat, start

from assay.v1 import events_pb2, job_pb2
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job


class EventLog:
    """Every event JetStream holds for one tenant, grouped by job."""

    def __init__(self) -> None:
        self.by_job: dict[str, list[events_pb2.JobEvent]] = defaultdict(list)

    async def collect(self, msg) -> None:  # type: ignore[no-untyped-def]
        event = events_pb2.JobEvent.FromString(msg.data)
        self.by_job[event.job.id].append(event)


async def follow(nats_url: str, tenant: str) -> tuple[nats.NATS, EventLog]:
    nc = await nats.connect(nats_url)
    log = EventLog()
    await nc.jetstream().subscribe(f"assay.events.{tenant}.>", cb=log.collect, ordered_consumer=True)
    return nc, log


async def test_every_transition_is_published_once_and_in_order(jobs_service, nats_server):
    nc, log = await follow(nats_server.url, "evt1")
    try:
        job = await create(jobs_service, tenant="evt1")
        worker_job = job_pb2.Job(id=job.id, tenant_id="evt1")
        await start(jobs_service, worker_job)
        await heartbeat(jobs_service, worker_job, 1, progress=50)
        await complete(jobs_service, worker_job, 1)

        async def all_arrived():
            return len(log.by_job[job.id]) == 4

        await eventually(all_arrived, timeout=10)
        events = log.by_job[job.id]
        assert [e.sequence for e in events] == [1, 2, 3, 4]
        assert [e.job.state for e in events] == [Job.STATE_QUEUED, Job.STATE_RUNNING, Job.STATE_RUNNING,
                                                 Job.STATE_SUCCEEDED]
        assert events[2].job.progress == 50
    finally:
        await nc.close()


async def test_watch_streams_the_current_job_then_each_transition_until_terminal(jobs_service):
    job = await create(jobs_service)
    stream = jobs_service.jobs.WatchJob(js.WatchJobRequest(id=job.id), metadata=jobs_service.token())
    first = await stream.read()
    assert first.job.state == Job.STATE_QUEUED
    await start(jobs_service, job)
    assert (await stream.read()).job.state == Job.STATE_RUNNING
    await complete(jobs_service, job, 1)
    assert (await stream.read()).job.state == Job.STATE_SUCCEEDED
    assert await stream.read() is grpc.aio.EOF, "the stream ends at the terminal state"


async def test_restarting_nats_mid_stream_loses_no_event_and_keeps_each_jobs_order(jobs_service, nats_server):
    if not getattr(nats_server, "can_restart", False):
        pytest.skip("needs a NATS server the harness can restart")
    tenant = "evt-restart"
    before = [await create(jobs_service, tenant=tenant) for _ in range(5)]
    nats_server.stop()
    try:
        during = [await create(jobs_service, tenant=tenant) for _ in range(5)]
        for job in during:
            await start(jobs_service, job_pb2.Job(id=job.id, tenant_id=tenant))
    finally:
        nats_server.start()
    nc, log = await follow(nats_server.url, tenant)
    try:
        # At least: on a slow machine the lease reaper may already have settled a started job
        # whose (2 s) lease ran out during the outage, which is one more event.
        expected = {job.id: 1 for job in before} | {job.id: 2 for job in during}

        async def all_arrived():
            return all(len(log.by_job[i]) >= n for i, n in expected.items())

        await eventually(all_arrived, timeout=30)
        for events in log.by_job.values():
            assert [e.sequence for e in events] == list(range(1, len(events) + 1)), "gap or duplicate"
    finally:
        await nc.close()


async def test_a_relay_that_dies_mid_stream_is_replaced_and_no_event_is_lost(jobs_service, nats_server):
    tenant = "evt-failover"
    nc, log = await follow(nats_server.url, tenant)
    standby = await start_jobs(jobs_service.settings)
    try:
        jobs = await asyncio.gather(*(create(standby, tenant=tenant) for _ in range(40)))
        await jobs_service.server.stop(0)  # the leader's relay dies; the standby's takes over

        async def all_arrived():
            return all(len(log.by_job[job.id]) == 1 for job in jobs)

        await eventually(all_arrived, timeout=30)
        assert sum(len(events) for events in log.by_job.values()) == 40, "no duplicates"
    finally:
        await nc.close()
        await standby.channel.close()
        await standby.server.stop(1.0)
