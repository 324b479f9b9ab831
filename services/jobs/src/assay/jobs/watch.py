"""WatchJob: the current job, then every later transition, until a terminal state."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

from nats.aio.client import Client
from nats.aio.msg import Msg

from assay.common.job_states import TERMINAL
from assay.common.nats import event_subject
from assay.jobs.store import JobStore
from assay.v1 import events_pb2, job_pb2

RESYNC_SECONDS = 5.0
"""Without events for this long, re-read the job: core subscriptions may miss a message."""


def _terminal(job: job_pb2.Job) -> bool:
    return job.state in TERMINAL


async def watch_job(
    nc: Client, store: JobStore, tenant: str, job_id: uuid.UUID
) -> AsyncIterator[job_pb2.Job]:
    """Subscribe first, then read the snapshot, so no transition falls between the two."""
    events: asyncio.Queue[Msg] = asyncio.Queue()

    async def enqueue(msg: Msg) -> None:
        events.put_nowait(msg)

    subscription = await nc.subscribe(event_subject(tenant, str(job_id)), cb=enqueue)
    try:
        job, seen = await store.snapshot(tenant, job_id)
        yield job
        while not _terminal(job):
            try:
                async with asyncio.timeout(RESYNC_SECONDS):  # not wait_for: it can swallow a cancel
                    msg = await events.get()
            except TimeoutError:
                latest, sequence = await store.snapshot(tenant, job_id)
                if sequence > seen:
                    job, seen = latest, sequence
                    yield job
                continue
            event = events_pb2.JobEvent.FromString(msg.data)
            if event.sequence <= seen:
                continue
            job, seen = event.job, event.sequence
            yield job
    finally:
        await subscription.unsubscribe()
