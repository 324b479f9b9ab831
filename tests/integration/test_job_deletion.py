"""DeleteJob and DeleteFile(cascade): a finished job, or every job derived from a file, removed from
PostgreSQL, the bucket and the events stream; unfinished jobs refused; an interrupted deletion
completed by a repeat."""

# ruff: noqa: F811
from __future__ import annotations

import grpc
import psycopg
import pytest
from file_job_fixtures import (
    FileStack,
    file_stack,  # noqa: F401 - fixture
    reviews_csv,
)
from ingest_fixtures import new_tenant

from assay.common.errors import details_from_rpc_error
from assay.common.nats import EVENTS_STREAM, connect, event_subject
from assay.v1 import ingest_service_pb2 as ing
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job


def _url(database_url: str) -> str:
    return database_url.replace("postgresql+psycopg://", "postgresql://")


async def _rows(database_url: str, sql: str, *args: object) -> list[tuple[object, ...]]:
    """Rows as the database owner sees them, across tenants (row-level security does not bind the owner here:
    the system setting is on)."""
    async with await psycopg.AsyncConnection.connect(_url(database_url)) as conn:
        await conn.execute("SELECT set_config('assay.system', 'on', false)")
        return list(await (await conn.execute(sql, args)).fetchall())  # type: ignore[arg-type]


async def _events_of(stack: FileStack, tenant: str, job_id: str) -> int:
    """How many messages the events stream holds for the job."""
    nc = await connect(stack.worker_settings(), "test-events")
    try:
        info = await nc.jetstream().stream_info(EVENTS_STREAM, subjects_filter=event_subject(tenant, job_id))
        return sum((info.state.subjects or {}).values())
    finally:
        await nc.close()


async def _succeeded_csv_job(stack: FileStack, tenant: str) -> job_pb2.Job:
    worker = await stack.start_worker()
    try:
        submitted = await stack.submit(reviews_csv(30), tenant=tenant)
        return await stack.settled(submitted.job.id, tenant, Job.STATE_SUCCEEDED, timeout=60)
    finally:
        await worker.stop(2.0)


async def _refusal(call: object) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call  # type: ignore[misc]
    return refused.value


async def test_a_finished_job_is_deleted_with_its_artifacts_events_and_outbox_rows(file_stack: FileStack) -> None:
    tenant = new_tenant()
    done = await _succeeded_csv_job(file_stack, tenant)
    assert len(done.artifacts) == 1 and await _events_of(file_stack, tenant, done.id) >= 3
    artifact = done.artifacts[0].file_id
    input_file = done.inputs.file_ids[0]
    jobs, token = file_stack.jobs, file_stack.jobs.token(tenant=tenant)
    keys_before = file_stack.ingest.object_keys(tenant)
    assert any(key.endswith(artifact) for key in keys_before)

    await jobs.jobs.DeleteJob(js.DeleteJobRequest(id=done.id), metadata=token)

    missing = await _refusal(jobs.jobs.GetJob(js.GetJobRequest(id=done.id), metadata=token))
    assert missing.code() == grpc.StatusCode.NOT_FOUND
    gone = await _refusal(file_stack.ingest.files.GetFile(ing.GetFileRequest(id=artifact), metadata=token))
    assert gone.code() == grpc.StatusCode.NOT_FOUND
    assert not any(key.endswith(artifact) for key in file_stack.ingest.object_keys(tenant))
    assert any(key.endswith(input_file) for key in file_stack.ingest.object_keys(tenant))  # the input stays
    assert await _events_of(file_stack, tenant, done.id) == 0
    db = jobs.settings.database_url
    assert await _rows(db, "SELECT 1 FROM jobs.jobs WHERE id = %s", done.id) == []
    assert await _rows(db, "SELECT 1 FROM jobs.outbox WHERE msg_id LIKE %s", f"{done.id}.%") == []
    assert await _rows(db, "SELECT 1 FROM jobs.dispatch_queue WHERE job_id = %s", done.id) == []
    audit = await _rows(db, "SELECT action, resource, outcome, roles FROM jobs.audit_log WHERE job_id = %s "
                            "ORDER BY id", done.id)
    assert audit[-1] == ("delete", f"jobs/{done.id}", "OK", ["user"])

    again = await _refusal(jobs.jobs.DeleteJob(js.DeleteJobRequest(id=done.id), metadata=token))
    assert again.code() == grpc.StatusCode.NOT_FOUND


async def test_an_unfinished_job_is_refused_and_another_tenants_is_not_found(file_stack: FileStack) -> None:
    tenant = new_tenant()
    queued = await file_stack.submit(reviews_csv(3), tenant=tenant)  # no worker: it stays queued
    jobs = file_stack.jobs
    refused = await _refusal(jobs.jobs.DeleteJob(js.DeleteJobRequest(id=queued.job.id),
                                                 metadata=jobs.token(tenant=tenant)))
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert details_from_rpc_error(refused).reason == "JOB_NOT_FINISHED"
    other = await _refusal(jobs.jobs.DeleteJob(js.DeleteJobRequest(id=queued.job.id),
                                               metadata=jobs.token(tenant=new_tenant())))
    assert other.code() == grpc.StatusCode.NOT_FOUND
    await file_stack.cancel(queued.job.id, tenant)
    await jobs.jobs.DeleteJob(js.DeleteJobRequest(id=queued.job.id), metadata=jobs.token(tenant=tenant))
    assert await _rows(jobs.settings.database_url, "SELECT 1 FROM jobs.jobs WHERE id = %s", queued.job.id) == []


async def test_a_deletion_interrupted_after_marking_is_completed_by_a_repeat_and_blocks_retry(
    file_stack: FileStack,
) -> None:
    tenant = new_tenant()
    queued = await file_stack.submit(reviews_csv(3), tenant=tenant)
    await file_stack.cancel(queued.job.id, tenant)
    db, jobs = file_stack.jobs.settings.database_url, file_stack.jobs
    async with await psycopg.AsyncConnection.connect(_url(db)) as conn:  # what a crash after step 1 leaves
        await conn.execute("SELECT set_config('assay.system', 'on', false)")
        await conn.execute("UPDATE jobs.jobs SET deleting_at = now() WHERE id = %s", (queued.job.id,))
        await conn.commit()
    admin = jobs.token(tenant=tenant, roles=("user", "admin"))
    retry = await _refusal(jobs.jobs.RetryJob(js.RetryJobRequest(id=queued.job.id), metadata=admin))
    assert details_from_rpc_error(retry).reason == "JOB_DELETING"

    await jobs.jobs.DeleteJob(js.DeleteJobRequest(id=queued.job.id), metadata=admin)
    assert await _rows(db, "SELECT 1 FROM jobs.jobs WHERE id = %s", queued.job.id) == []
