"""GetJob's job cache: read-your-writes on one replica, other replicas' changes seen promptly."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
import pytest
from harness import Postgres, eventually
from harness.jobs import SERVICE_KEYS, JobsService, fresh_database, start_jobs
from prometheus_client import REGISTRY
from test_jobs_lifecycle import complete, create, start

from assay.common.migrations import upgrade
from assay.jobs import store as job_store
from assay.jobs.cache import JobCache
from assay.jobs.config import JobsSettings
from assay.jobs.migrations import SCRIPT_LOCATION as MIGRATIONS
from assay.jobs.store import JobStore
from assay.v1 import events_pb2, job_pb2
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job


@pytest.fixture(scope="module")
async def replicas(postgres: Postgres, nats_server) -> AsyncIterator[tuple[JobsService, JobsService]]:  # type: ignore[no-untyped-def]
    """Two jobs replicas on one database; the first caches for a minute, so only events refresh it."""
    url = fresh_database(postgres, "jobcache")
    upgrade(MIGRATIONS, url, "jobs")
    base = JobsSettings(database_url=url, nats_url=nats_server.url, grpc_host="127.0.0.1", grpc_port=0,
                        **SERVICE_KEYS, outbox_poll_seconds=0.2, ingest_addr="127.0.0.1:1")
    first = await start_jobs(base.model_copy(update={"job_cache_seconds": 60.0}))
    second = await start_jobs(base)
    yield first, second
    for service in (first, second):
        await service.channel.close()
        await service.server.stop(1.0)


async def get(service: JobsService, job_id: str, tenant: str = "acme") -> job_pb2.Job:
    response = await service.jobs.GetJob(js.GetJobRequest(id=job_id), metadata=service.token(tenant=tenant))
    return response.job


def cache_reads(result: str) -> float:
    return REGISTRY.get_sample_value("assay_jobs_cache_reads_total", {"result": result}) or 0.0


async def test_a_replica_answers_repeated_reads_from_the_cache_with_its_own_latest_writes(replicas):
    first, _ = replicas
    job = await create(first)
    hits = cache_reads("hit")
    assert (await get(first, job.id)).state == Job.STATE_QUEUED
    await start(first, job)
    assert (await get(first, job.id)).state == Job.STATE_RUNNING
    await complete(first, job, 1)
    done = await get(first, job.id)
    assert done.state == Job.STATE_SUCCEEDED
    assert cache_reads("hit") - hits == 3


async def test_a_change_made_by_another_replica_reaches_the_cache_through_its_event(replicas):
    first, second = replicas
    job = await create(second)
    assert (await get(first, job.id)).state == Job.STATE_QUEUED  # now cached by the first replica
    await start(second, job)
    await complete(second, job, 1)

    async def first_sees_success() -> bool:
        return (await get(first, job.id)).state == Job.STATE_SUCCEEDED

    await eventually(first_sees_success, timeout=10)  # far sooner than its 60 s time to live


async def test_a_change_by_another_replica_during_a_read_that_missed_is_not_overwritten_by_it(
        replicas, monkeypatch):
    """The first replica reads a running job from the database (its events were lost, so it is not
    cached); before its read is cached, the job completes through the second one and the event
    reaches both caches. The state the read returns is the older one and must not stay cached."""
    first, second = replicas
    intervened = False
    caches_told: set[int] = set()
    told = asyncio.Event()
    apply_event = JobCache.apply_event

    def watching(cache: JobCache, subject: str, payload: bytes) -> None:
        if not intervened:
            return  # lost (core NATS may drop a message): the first replica reads the job from the database
        apply_event(cache, subject, payload)
        if events_pb2.JobEvent.FromString(payload).job.state == Job.STATE_SUCCEEDED:
            caches_told.add(id(cache))
            if len(caches_told) == 2:
                told.set()

    load = job_store._load

    async def completing_meanwhile(conn, tenant, job_id):  # type: ignore[no-untyped-def]
        nonlocal intervened
        row = await load(conn, tenant, job_id)
        if str(job_id) == job.id and not intervened:
            intervened = True
            await complete(second, job, 1)
            await asyncio.wait_for(told.wait(), timeout=10)  # both replicas have the SUCCEEDED event
        return row

    monkeypatch.setattr(JobCache, "apply_event", watching)
    job = await create(second)
    await start(second, job)
    monkeypatch.setattr(job_store, "_load", completing_meanwhile)
    assert (await get(first, job.id)).state == Job.STATE_RUNNING  # what it read, before the change
    assert intervened
    assert (await get(first, job.id)).state == Job.STATE_SUCCEEDED  # not the read's state, for 60 s


async def test_another_tenant_asking_for_a_cached_job_gets_not_found(replicas):
    first, _ = replicas
    job = await create(first)
    await get(first, job.id)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await get(first, job.id, tenant="globex")
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_cached_job_is_answered_as_its_cached_bytes_without_parsing_them(replicas, monkeypatch):
    first, _ = replicas
    job = await create(first)
    await start(first, job)
    await complete(first, job, 1)
    basic = (await first.jobs.GetJob(js.GetJobRequest(id=job.id, view=js.JOB_VIEW_BASIC),
                                     metadata=first.token(tenant="acme"))).job
    assert basic.inputs.text == ""  # BASIC still trims (a parsed job)

    async def parsing_refused(*_args: object) -> None:
        raise AssertionError("a FULL read of a cached job parsed it")

    monkeypatch.setattr(JobStore, "get", parsing_refused)  # the path that parses a job
    hits = cache_reads("hit")
    full = await get(first, job.id)
    explicit = (await first.jobs.GetJob(js.GetJobRequest(id=job.id, view=js.JOB_VIEW_FULL),
                                        metadata=first.token(tenant="acme"))).job
    assert full == explicit
    assert full.state == Job.STATE_SUCCEEDED and full.inputs.text == "I love it"
    assert cache_reads("hit") - hits == 2
    with pytest.raises(grpc.aio.AioRpcError) as raised:  # the tenant check stays on every read
        await get(first, job.id, tenant="globex")
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
