"""With several jobs serving processes on a node only the first runs the background work (dispatch
rounds, relay, reaper, webhook delivery): a second one serves RPCs and starts none of it, and the
job it creates is dispatched and relayed by the first."""

from __future__ import annotations

import asyncio
from collections import Counter

import nats
from harness import Postgres
from harness.jobs import SERVICE_KEYS, fresh_database, start_jobs
from test_jobs_lifecycle import create

from assay.common.migrations import upgrade
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
