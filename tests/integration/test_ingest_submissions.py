"""SubmitDocument idempotency under faults: leased claims taken over when their upload stops."""
# ruff: noqa: F811

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import AsyncIterator
from datetime import timedelta

import grpc
import pytest
from harness import eventually
from ingest_fixtures import (  # noqa: F401 - ingest_stack and ingest_variant are fixtures
    IngestService,
    ingest_stack,
    ingest_variant,
    new_tenant,
    submit_requests,
)
from sqlalchemy import select

from assay.common.db import create_engine, tenant_transaction
from assay.common.errors import details_from_rpc_error
from assay.common.storage import object_key
from assay.ingest.store import FileStore, NewFile
from assay.ingest.submission import request_digest
from assay.ingest.tables import submissions
from assay.v1 import ingest_service_pb2 as ing
from assay.v1 import job_pb2, sentiment_pb2

pytestmark = pytest.mark.integration

LEASE = 1.0


async def stalled_submission(request_id: str, resume: asyncio.Event) -> AsyncIterator[ing.SubmitDocumentRequest]:
    """A submission whose upload sends its header and a first chunk, then stops until ``resume``."""
    requests = submit_requests([b"first half of the reviews\n", b"second half\n"], request_id=request_id)
    yield next(requests)
    yield next(requests)
    await resume.wait()
    for request in requests:
        yield request


async def claimed(ingest: IngestService, tenant: str, request_id: str) -> bool:
    engine = create_engine(ingest.settings)
    try:
        async with tenant_transaction(engine, tenant) as conn:
            found = (await conn.execute(select(submissions.c.claim_id).where(
                submissions.c.tenant_id == tenant, submissions.c.request_id == request_id))).one_or_none()
    finally:
        await engine.dispose()
    return found is not None


async def test_a_retry_takes_over_a_claim_whose_upload_stopped(ingest_variant) -> None:  # type: ignore[no-untyped-def]
    async with ingest_variant(submission_lease_seconds=LEASE) as ingest:
        ingest: IngestService
        tenant = new_tenant()
        token = ingest.token(tenant=tenant)
        resume = asyncio.Event()
        stalled = asyncio.ensure_future(ingest.files.SubmitDocument(stalled_submission("stuck-1", resume),
                                                                    metadata=token))

        async def retried() -> ing.SubmitDocumentResponse:
            try:
                return await ingest.files.SubmitDocument(
                    submit_requests([b"first half of the reviews\n", b"second half\n"], request_id="stuck-1"),
                    metadata=token)
            except grpc.aio.AioRpcError as error:
                assert details_from_rpc_error(error).reason == "SUBMISSION_IN_PROGRESS"
                raise AssertionError("still in progress") from None

        async def claimed_by_the_stalled_upload() -> bool:
            return await claimed(ingest, tenant, "stuck-1")

        await eventually(claimed_by_the_stalled_upload)
        taken = await eventually(retried, timeout=20 * LEASE, interval=0.2)
        resume.set()
        with pytest.raises(grpc.aio.AioRpcError) as lost:
            await stalled
        assert lost.value.code() == grpc.StatusCode.ABORTED
        assert details_from_rpc_error(lost.value).reason == "SUBMISSION_TAKEN_OVER"
        again = await ingest.files.SubmitDocument(
            submit_requests([b"first half of the reviews\n", b"second half\n"], request_id="stuck-1"), metadata=token)
        assert again.job.id == taken.job.id
        assert ingest.object_keys(tenant) == [object_key(tenant, taken.file.id)]
        assert await ingest.file_ids(token) == {taken.file.id}


async def test_a_claim_left_by_a_killed_ingest_is_taken_over_after_its_lease(ingest_variant) -> None:  # type: ignore[no-untyped-def]
    async with ingest_variant(submission_lease_seconds=LEASE) as ingest:
        ingest: IngestService
        tenant = new_tenant()
        token = ingest.token(tenant=tenant)
        engine = create_engine(ingest.settings)
        try:  # what a SIGKILLed ingest leaves: a claim nobody renews
            dead = await FileStore(engine).claim_submission(tenant, "killed-1", "sentiment", timedelta(seconds=LEASE))
        finally:
            await engine.dispose()
        assert dead.claimed

        async def retried() -> ing.SubmitDocumentResponse:
            try:
                return await ingest.files.SubmitDocument(submit_requests([b"fine\n"], request_id="killed-1"),
                                                         metadata=token)
            except grpc.aio.AioRpcError as error:
                assert details_from_rpc_error(error).reason == "SUBMISSION_IN_PROGRESS"
                raise AssertionError("still in progress") from None

        done = await eventually(retried, timeout=20 * LEASE, interval=0.2)
        assert done.file.id != str(dead.file_id) and list(done.job.inputs.file_ids) == [done.file.id]


async def refusal_reason(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
    return details_from_rpc_error(caught.value).reason


async def test_a_request_id_reused_with_other_content_name_or_params_is_refused(ingest_stack: IngestService) -> None:
    tenant = new_tenant()
    token = ingest_stack.token(tenant=tenant)
    first = await ingest_stack.files.SubmitDocument(
        submit_requests([b"great\n"], request_id="body-1", name="a.txt"), metadata=token)
    differing = [
        submit_requests([b"terrible\n"], request_id="body-1", name="a.txt"),
        submit_requests([b"great\n"], request_id="body-1", name="b.txt"),
        submit_requests([b"great\n"], request_id="body-1", name="a.txt", priority=7),
        submit_requests([b"great\n"], request_id="body-1", name="a.txt",
                        params=job_pb2.JobParams(sentiment=sentiment_pb2.SentimentParams(text_column="review"))),
    ]
    for requests in differing:
        assert await refusal_reason(ingest_stack.files.SubmitDocument(requests, metadata=token)) == \
            "REQUEST_ID_REUSED"
    same = await ingest_stack.files.SubmitDocument(
        submit_requests([b"great\n"], request_id="body-1", name="a.txt"), metadata=token)
    assert same.job.id == first.job.id
    assert await ingest_stack.file_ids(token) == {first.file.id}


async def test_concurrent_identical_submissions_all_get_the_winners_job(ingest_stack: IngestService) -> None:
    tenant = new_tenant()
    token = ingest_stack.token(tenant=tenant)
    body = [b"a fine product, would buy again\n" * 2048] * 16  # ~1 MiB in 16 chunks, so the uploads overlap
    responses = await asyncio.gather(*(
        ingest_stack.files.SubmitDocument(submit_requests(body, request_id="race-1"), metadata=token)
        for _ in range(8)
    ))
    assert len({r.job.id for r in responses}) == 1
    assert len({r.file.id for r in responses}) == 1
    assert await ingest_stack.file_ids(token) == {responses[0].file.id}


async def test_a_taken_over_claim_whose_file_was_stored_adopts_that_file(ingest_variant) -> None:  # type: ignore[no-untyped-def]
    async with ingest_variant(submission_lease_seconds=LEASE) as ingest:
        ingest: IngestService
        tenant = new_tenant()
        token = ingest.token(tenant=tenant)
        body = b"stored before the crash\n"
        engine = create_engine(ingest.settings)
        try:  # killed after storing the file, before CreateJob: a claim and a file, no job
            store = FileStore(engine)
            digest = request_digest(next(submit_requests([body], request_id="half-1")).header)
            dead = await store.claim_submission(tenant, "half-1", "sentiment", timedelta(seconds=LEASE), digest)
            ingest.s3.put_object(ingest.bucket, object_key(tenant, dead.file_id), io.BytesIO(body), len(body))
            await store.insert(NewFile(id=dead.file_id, tenant=tenant, created_by="alice", display_name="reviews.txt",
                                       media_type="text/plain", size_bytes=len(body),
                                       sha256=hashlib.sha256(body).hexdigest(), scan_status="UNSCANNED"))
        finally:
            await engine.dispose()

        async def retried() -> ing.SubmitDocumentResponse:
            try:
                return await ingest.files.SubmitDocument(submit_requests([body], request_id="half-1"),
                                                         metadata=token)
            except grpc.aio.AioRpcError as error:
                assert details_from_rpc_error(error).reason == "SUBMISSION_IN_PROGRESS"
                raise AssertionError("still in progress") from None

        done = await eventually(retried, timeout=20 * LEASE, interval=0.2)
        assert done.file.id == str(dead.file_id) and list(done.job.inputs.file_ids) == [done.file.id]
        assert await ingest.file_ids(token) == {done.file.id}
