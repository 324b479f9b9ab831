"""DeleteFile with cascade (an erasure request): the document, every job derived from it (through
inputs, dependencies and artifacts), their results, events and artifacts, and the search-index chunks
of the document and of its derived tables are gone from PostgreSQL (jobs, ingest, index schemas), the
bucket, the events stream and the search index; an unrelated document and its job stay."""

# ruff: noqa: F811
from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import psycopg
import pytest
from file_job_fixtures import (
    file_stack,  # noqa: F401 - fixture
    reviews_csv,
)
from harness.jobs import JobsService, start_jobs
from ingest_fixtures import IngestService, ingest_settings, new_tenant, start_ingest, stop_ingest
from lifecycle_fixtures import events_of, rows
from test_index import IndexStack, index_stack  # noqa: F401 - fixture

from assay.common.errors import details_from_rpc_error
from assay.ingest.jobs_client import JobsClient
from assay.v1 import index_pb2 as ix
from assay.v1 import ingest_service_pb2 as ing
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job


@dataclass
class ErasureStack:
    """An ingest that knows the analysis service, and a jobs replica that deletes artifacts through it."""

    index: IndexStack
    ingest: IngestService
    jobs: JobsService


@pytest.fixture(scope="module")
async def erasure_stack(index_stack: IndexStack) -> AsyncIterator[ErasureStack]:
    files = index_stack.files
    jobs_client = JobsClient()
    ingest = await start_ingest(ingest_settings(
        files.ingest.settings.database_url, files.s3, files.ingest.bucket,
        analysis_addr=f"127.0.0.1:{index_stack.worker.port}"), files.s3, jobs_client)
    jobs = await start_jobs(files.jobs.settings.model_copy(update={"ingest_addr": ingest.address}))
    jobs_client.connect(f"127.0.0.1:{jobs.server.port}")
    try:
        yield ErasureStack(index_stack, ingest, jobs)
    finally:
        await jobs.channel.close()
        await jobs.server.stop(1.0)
        await stop_ingest(ingest)
        await jobs_client.close()


async def _index_job(stack: ErasureStack, tenant: str, collection: str, inputs: job_pb2.JobInputs) -> Job:
    params = job_pb2.JobParams(index=ix.IndexParams(collection_id=collection))
    created = await stack.jobs.jobs.CreateJob(js.CreateJobRequest(analyzer="index", params=params, inputs=inputs),
                                              metadata=stack.jobs.token(tenant=tenant))
    return await stack.index.files.settled(created.job.id, tenant, Job.STATE_SUCCEEDED, timeout=90)


async def test_erasing_a_document_removes_every_job_result_artifact_event_and_chunk_derived_from_it(
    erasure_stack: ErasureStack,
) -> None:
    stack, files = erasure_stack, erasure_stack.index.files
    tenant = new_tenant()
    token = stack.ingest.token(tenant=tenant)
    collection = await stack.index.collection(tenant, "reviews")
    sentiment = await files.start_worker()
    try:
        scored = await files.submit(reviews_csv(12), tenant=tenant)  # job A on the document
        kept = await files.submit(reviews_csv(6), tenant=tenant, name="other.csv")  # unrelated
        a = await files.settled(scored.job.id, tenant, Job.STATE_SUCCEEDED, timeout=60)
        await files.settled(kept.job.id, tenant, Job.STATE_SUCCEEDED, timeout=60)
    finally:
        await sentiment.stop(2.0)
    document, artifact = scored.file.id, a.artifacts[0].file_id
    b = await _index_job(stack, tenant, collection, job_pb2.JobInputs(jobs=[a.id]))  # reads A's scored CSV
    c = await _index_job(stack, tenant, collection, job_pb2.JobInputs(file_ids=[document]))
    derived = [a.id, b.id, c.id]
    assert stack.index.chunk_count(file_id=document) > 0 and stack.index.chunk_count(file_id=artifact) > 0

    db, index_db = files.jobs.settings.database_url, stack.index.superuser_url
    ingest_db = files.ingest.settings.database_url
    kept_keys = [key for key in files.ingest.object_keys(tenant) if key.endswith(kept.file.id)]
    assert kept_keys

    await stack.ingest.files.DeleteFile(ing.DeleteFileRequest(id=document, cascade=True), metadata=token)

    assert await rows(db, "SELECT id FROM jobs.jobs WHERE id = ANY(%s::uuid[])", derived) == []
    assert await rows(db, "SELECT 1 FROM jobs.dependencies WHERE job_id = ANY(%s::uuid[]) "
                           "OR depends_on = ANY(%s::uuid[])", derived, derived) == []
    assert await rows(db, "SELECT 1 FROM jobs.outbox WHERE split_part(msg_id, '.', 1) = ANY(%s)", derived) == []
    for job_id in derived:
        assert await events_of(files, tenant, job_id) == 0
    assert await rows(ingest_db, "SELECT id FROM ingest.files WHERE id = ANY(%s::uuid[]) OR job_id = ANY(%s::uuid[])",
                       [document, artifact], derived) == []
    assert await rows(ingest_db, "SELECT 1 FROM ingest.submissions WHERE file_id = %s", document) == []
    remaining = files.ingest.object_keys(tenant)
    assert not [key for key in remaining if key.endswith((document, artifact))]
    assert stack.index.chunk_count(file_id=document) == 0 and stack.index.chunk_count(file_id=artifact) == 0
    async with await psycopg.AsyncConnection.connect(index_db) as conn:
        documents = await (await conn.execute('SELECT 1 FROM "index".documents WHERE file_id = ANY(%s::uuid[])',
                                              ([document, artifact],))).fetchall()
    assert documents == []
    audit = await rows(db, "SELECT action, resource, details ->> 'cascade' FROM jobs.audit_log "
                            "WHERE tenant_id = %s AND action IN ('delete', 'delete_file') ORDER BY id", tenant)
    assert sorted(row[1] for row in audit if row[0] == "delete") == sorted(f"jobs/{job_id}" for job_id in derived)
    assert audit[-1] == ("delete_file", f"files/{document}", "true")
    # the unrelated document and its job stay
    assert await rows(db, "SELECT 1 FROM jobs.jobs WHERE id = %s", kept.job.id) != []
    assert all(key in remaining for key in kept_keys)


async def test_a_cascade_is_refused_while_a_job_on_the_document_has_not_finished(erasure_stack: ErasureStack) -> None:
    stack, files = erasure_stack, erasure_stack.index.files
    tenant = new_tenant()
    queued = await files.submit(reviews_csv(3), tenant=tenant)  # no sentiment worker runs now: it stays queued
    try:
        await stack.ingest.files.DeleteFile(ing.DeleteFileRequest(id=queued.file.id, cascade=True),
                                            metadata=stack.ingest.token(tenant=tenant))
    except grpc.aio.AioRpcError as error:
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert details_from_rpc_error(error).reason == "FILE_IN_USE"
    else:
        raise AssertionError("the cascade was not refused")
    assert await rows(files.jobs.settings.database_url, "SELECT 1 FROM jobs.jobs WHERE id = %s", queued.job.id)
