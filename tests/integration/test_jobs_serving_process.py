"""With several jobs serving processes on a node only the first runs the background work (dispatch
rounds, relay, reaper, webhook delivery): a second one serves RPCs and starts none of it, and the
job it creates is dispatched and relayed by the first. With ``ASSAY_JOBS_BACKGROUND_PROCESS`` none
runs it, and a process of its own does (``assay.jobs.background``)."""

from __future__ import annotations

import asyncio
from collections import Counter

import nats
from harness import Postgres
from harness.jobs import SERVICE_KEYS, fresh_database, start_jobs
from sqlalchemy import text
from test_jobs_lifecycle import create

from assay.common.db import create_engine, system_transaction
from assay.common.migrations import upgrade
from assay.common.nats import ALL_EVENTS
from assay.jobs.background import start_process
from assay.jobs.config import JobsSettings
from assay.jobs.migrations import SCRIPT_LOCATION as MIGRATIONS
from assay.v1 import events_pb2, job_pb2

BACKGROUND = ("dispatcher", "lease-reaper", "webhook-delivery", "outbox-relay")


def background_tasks() -> Counter[str]:
    return Counter(task.get_name() for task in asyncio.all_tasks() if task.get_name() in BACKGROUND)


async def test_a_second_serving_process_leaves_the_background_work_to_the_first(
        postgres: Postgres, nats_server) -> None:  # type: ignore[no-untyped-def]
    url = fresh_database(postgres, "procs")
    upgrade(MIGRATIONS, url, "jobs")
    base = JobsSettings(database_url=url, nats_url=nats_server.url, grpc_host="127.0.0.1", grpc_port=0,
                        **SERVICE_KEYS, outbox_poll_seconds=0.2, ingest_addr="127.0.0.1:1", dispatch_at_create=False)
    client = await nats.connect(nats_server.url)
    dispatched: asyncio.Queue[str] = asyncio.Queue()

    async def work(msg) -> None:  # type: ignore[no-untyped-def]
        dispatched.put_nowait(events_pb2.WorkMessage.FromString(msg.data).job_id)

    await client.subscribe("assay.work.>", cb=work)
    before = background_tasks()
    second = await start_jobs(base.model_copy(update={"serving_process": 1}))
    first = None
    try:
        await asyncio.sleep(0)  # tasks it would create are created by now
        assert background_tasks() == before
        job = await create(second)  # held for a dispatch round: none runs in this process
        assert job.state == job_pb2.Job.STATE_QUEUED
        first = await start_jobs(base)
        assert background_tasks() - before >= Counter({"dispatcher": 1, "lease-reaper": 1, "webhook-delivery": 1})
        async with asyncio.timeout(20):
            while await dispatched.get() != job.id:  # the first's round and relay sent its work message
                pass
    finally:
        await client.close()
        for service in (second, first):
            if service is not None:
                await service.channel.close()
                await service.server.stop(1.0)


async def test_a_background_process_dispatches_and_relays_for_serving_processes_that_run_none(
        postgres: Postgres, nats_server) -> None:  # type: ignore[no-untyped-def]
    """``ASSAY_JOBS_BACKGROUND_PROCESS``: serving process 0 runs no background work either; the job it
    creates waits, held and its events in the outbox, until the background process (no gRPC server,
    no cache) dispatches it and relays its events, woken only through PostgreSQL."""
    url = fresh_database(postgres, "bgproc")
    upgrade(MIGRATIONS, url, "jobs")
    settings = JobsSettings(database_url=url, nats_url=nats_server.url, grpc_host="127.0.0.1", grpc_port=0,
                            **SERVICE_KEYS, outbox_poll_seconds=60, dispatch_poll_seconds=60,
                            ingest_addr="127.0.0.1:1", dispatch_at_create=False, jobs_background_process=True)
    client = await nats.connect(nats_server.url)
    dispatched: asyncio.Queue[str] = asyncio.Queue()
    events: asyncio.Queue[str] = asyncio.Queue()

    async def work(msg) -> None:  # type: ignore[no-untyped-def]
        dispatched.put_nowait(events_pb2.WorkMessage.FromString(msg.data).job_id)

    async def event(msg) -> None:  # type: ignore[no-untyped-def]
        events.put_nowait(events_pb2.JobEvent.FromString(msg.data).job.id)

    await client.subscribe("assay.work.>", cb=work)
    await client.subscribe(ALL_EVENTS, cb=event)
    before = background_tasks()
    serving = await start_jobs(settings)
    engine = create_engine(settings)
    worker = None
    try:
        await asyncio.sleep(0)  # tasks it would create are created by now
        assert background_tasks() == before
        job = await create(serving)
        async with system_transaction(engine) as conn:  # no relay and no round anywhere yet
            assert (await conn.execute(text("SELECT count(*) FROM jobs.outbox"))).scalar_one() > 0
            held = (await conn.execute(text("SELECT job_id FROM jobs.dispatch_queue"))).scalars().all()
            assert [str(job_id) for job_id in held] == [job.id]
        worker = await start_process(settings)
        assert worker.port == 0  # it serves no gRPC
        assert background_tasks() - before >= Counter({"dispatcher": 1, "lease-reaper": 1, "webhook-delivery": 1})
        async with asyncio.timeout(20):  # its first round and relay pass take what was waiting
            while await dispatched.get() != job.id:
                pass
            while await events.get() != job.id:
                pass
        later = await create(serving)
        async with asyncio.timeout(20):  # polls are 60 s: only the NOTIFY of the hold and the outbox rows wake it
            while await dispatched.get() != later.id:
                pass
            while await events.get() != later.id:
                pass
    finally:
        await client.close()
        if worker is not None:
            await worker.stop()
        await engine.dispose()
        await serving.channel.close()
        await serving.server.stop(1.0)
    assert background_tasks() == before
