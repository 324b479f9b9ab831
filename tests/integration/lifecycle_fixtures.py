"""Helpers of the data-lifecycle tests: rows as the database owner sees them, a job's events in the
stream, a succeeded CSV job with its artifact, an expected refusal."""

from __future__ import annotations

import grpc
import psycopg
import pytest
from file_job_fixtures import FileStack, reviews_csv

from assay.common.nats import EVENTS_STREAM, connect, event_subject
from assay.v1 import job_pb2

Job = job_pb2.Job


def system_url(database_url: str) -> str:
    """The libpq form of a service database URL."""
    return database_url.replace("postgresql+psycopg://", "postgresql://")


async def rows(database_url: str, sql: str, *args: object) -> list[tuple[object, ...]]:
    """Rows as the database owner sees them, across tenants (row-level security does not bind the owner here:
    the system setting is on)."""
    async with await psycopg.AsyncConnection.connect(system_url(database_url)) as conn:
        await conn.execute("SELECT set_config('assay.system', 'on', false)")
        return list(await (await conn.execute(sql, args)).fetchall())  # type: ignore[arg-type]


async def events_of(stack: FileStack, tenant: str, job_id: str) -> int:
    """How many messages the events stream holds for the job."""
    nc = await connect(stack.worker_settings(), "test-events")
    try:
        info = await nc.jetstream().stream_info(EVENTS_STREAM, subjects_filter=event_subject(tenant, job_id))
        return sum((info.state.subjects or {}).values())
    finally:
        await nc.close()


async def succeeded_csv_job(stack: FileStack, tenant: str) -> job_pb2.Job:
    worker = await stack.start_worker()
    try:
        submitted = await stack.submit(reviews_csv(30), tenant=tenant)
        return await stack.settled(submitted.job.id, tenant, Job.STATE_SUCCEEDED, timeout=60)
    finally:
        await worker.stop(2.0)


async def refusal(call: object) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call  # type: ignore[misc]
    return refused.value
