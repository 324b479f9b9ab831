"""File metadata, tenancy, deletion, download URLs, SubmitDocument and WorkerFileService."""

# ruff: noqa: F811 - test parameters named after the imported fixtures

from __future__ import annotations

import asyncio
import hashlib
import io
import urllib.error
import urllib.request
import uuid

import grpc
import pytest
from harness import MotoServer, eventually
from ingest_fixtures import (  # noqa: F401 - ingest_stack and ingest_variant are fixtures
    IngestService,
    ingest_stack,
    ingest_variant,
    new_tenant,
    submit_requests,
)

from assay.common.errors import details_from_rpc_error
from assay.common.storage import object_key
from assay.v1 import ingest_service_pb2 as ing
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js
from assay.v1 import worker_file_service_pb2 as wf

pytestmark = pytest.mark.integration


async def rpc_error(call) -> grpc.aio.AioRpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


def fetch(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read(), response.headers.get("Content-Disposition", "")
    except urllib.error.HTTPError as error:
        return error.code, b"", ""


async def test_another_tenants_file_is_not_found_everywhere_and_cannot_be_used_in_a_job(
    ingest_stack: IngestService,
) -> None:
    stored = await ingest_stack.upload([b"acme's secret\n"], metadata=ingest_stack.token(tenant="acme"))
    other = ingest_stack.token(tenant="globex")
    files = ingest_stack.files
    for call in (
        files.GetFile(ing.GetFileRequest(id=stored.id), metadata=other),
        files.BatchGetFiles(ing.BatchGetFilesRequest(ids=[stored.id]), metadata=other),
        files.DeleteFile(ing.DeleteFileRequest(id=stored.id), metadata=other),
        files.GetDownloadUrl(ing.GetDownloadUrlRequest(id=stored.id), metadata=other),
    ):
        assert (await rpc_error(call)).code() == grpc.StatusCode.NOT_FOUND
    assert stored.id not in await ingest_stack.file_ids(other)
    assert ingest_stack.jobs is not None
    error = await rpc_error(ingest_stack.jobs.jobs.CreateJob(js.CreateJobRequest(
        analyzer="sentiment", inputs=job_pb2.JobInputs(file_ids=[stored.id])), metadata=other))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert details_from_rpc_error(error).reason == "FILE_NOT_FOUND"
    globex_job = str(uuid.uuid4())
    error = await rpc_error(ingest_stack.worker.ResolveInputs(wf.ResolveInputsRequest(
        tenant_id="globex", ids=[stored.id], job_id=globex_job,
        capability=ingest_stack.capability("globex", globex_job, [stored.id])),
        metadata=ingest_stack.worker_credential))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    owner = await files.GetFile(ing.GetFileRequest(id=stored.id), metadata=ingest_stack.token(tenant="acme"))
    assert owner.file == stored


async def test_batch_get_returns_files_in_request_order_and_an_unknown_id_is_not_found(
    ingest_stack: IngestService,
) -> None:
    first = await ingest_stack.upload([b"one\n"])
    second = await ingest_stack.upload([b"two\n"])
    found = await ingest_stack.files.BatchGetFiles(ing.BatchGetFilesRequest(ids=[second.id, first.id]),
                                                   metadata=ingest_stack.token())
    assert [f.id for f in found.files] == [second.id, first.id]
    error = await rpc_error(ingest_stack.files.BatchGetFiles(
        ing.BatchGetFilesRequest(ids=[first.id, str(uuid.uuid4())]), metadata=ingest_stack.token()))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    error = await rpc_error(ingest_stack.files.GetFile(ing.GetFileRequest(id="nope"), metadata=ingest_stack.token()))
    assert [v.field for v in details_from_rpc_error(error).violations] == ["id"]


async def test_list_files_pages_newest_first_without_gaps_or_repeats(ingest_stack: IngestService) -> None:
    tenant = new_tenant()
    token = ingest_stack.token(tenant=tenant)
    uploaded = [await ingest_stack.upload([f"file {n}\n".encode()], metadata=token) for n in range(7)]
    seen: list[str] = []
    page_token = ""
    while True:
        page = await ingest_stack.files.ListFiles(ing.ListFilesRequest(page_size=3, page_token=page_token),
                                                  metadata=token)
        seen += [f.id for f in page.files]
        page_token = page.next_page_token
        if not page_token:
            break
    assert seen == [f.id for f in reversed(uploaded)]


async def test_a_file_in_use_by_an_active_job_cannot_be_deleted_until_the_job_ends(
    ingest_stack: IngestService,
) -> None:
    assert ingest_stack.jobs is not None
    tenant = new_tenant()
    token = ingest_stack.token(tenant=tenant)
    stored = await ingest_stack.upload([b"a fine day\n"], metadata=token)
    job = (await ingest_stack.jobs.jobs.CreateJob(js.CreateJobRequest(
        analyzer="sentiment", inputs=job_pb2.JobInputs(file_ids=[stored.id])), metadata=token)).job
    error = await rpc_error(ingest_stack.files.DeleteFile(ing.DeleteFileRequest(id=stored.id), metadata=token))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert details_from_rpc_error(error).reason == "FILE_IN_USE"
    await ingest_stack.jobs.jobs.CancelJob(js.CancelJobRequest(id=job.id), metadata=token)
    await ingest_stack.files.DeleteFile(ing.DeleteFileRequest(id=stored.id), metadata=token)
    error = await rpc_error(ingest_stack.files.GetFile(ing.GetFileRequest(id=stored.id), metadata=token))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert ingest_stack.object_keys(tenant) == []


async def test_a_presigned_url_downloads_exactly_the_stored_bytes_under_the_sanitized_name(
    ingest_stack: IngestService,
) -> None:
    data = "Überblick über das Quartal\n".encode() * 1000
    stored = await ingest_stack.upload([data], name="../Quartal Ü.txt")
    response = await ingest_stack.files.GetDownloadUrl(ing.GetDownloadUrlRequest(id=stored.id),
                                                       metadata=ingest_stack.token())
    assert response.expires_in.seconds == ingest_stack.settings.download_url_seconds
    status, body, disposition = await asyncio.to_thread(fetch, response.url)
    assert status == 200
    assert hashlib.sha256(body).hexdigest() == stored.sha256 and body == data
    assert disposition.startswith("attachment;") and "filename*=UTF-8''Quartal%20%C3%9C.txt" in disposition
    assert "Quartal" not in response.url.split("?")[0], "client names never appear in keys"


async def test_an_html_upload_is_stored_as_html_and_downloaded_as_an_attachment_no_browser_renders(
    ingest_stack: IngestService,
) -> None:
    page = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script><p>Processor shall</p></body></html>"
    stored = await ingest_stack.upload([page], name="dpa.html")
    assert stored.media_type == "text/html"
    response = await ingest_stack.files.GetDownloadUrl(ing.GetDownloadUrlRequest(id=stored.id),
                                                       metadata=ingest_stack.token())

    def headers() -> tuple[bytes, str, str]:
        with urllib.request.urlopen(response.url, timeout=10) as served:
            return served.read(), served.headers.get("Content-Type", ""), served.headers.get("Content-Disposition", "")

    body, content_type, disposition = await asyncio.to_thread(headers)
    assert body == page
    assert content_type == "application/octet-stream"
    assert disposition.startswith("attachment;")


async def test_a_declared_markdown_upload_is_stored_as_markdown(ingest_stack: IngestService) -> None:
    text = b"# Data Processing Agreement\n\n| Party | Role |\n|---|---|\n| Acme | Processor |\n"
    declared = await ingest_stack.upload([text], name="dpa.txt", media_type="text/markdown; charset=utf-8")
    by_name = await ingest_stack.upload([text], name="dpa.md")
    assert declared.media_type == by_name.media_type == "text/markdown"


async def test_a_presigned_url_stops_working_after_its_lifetime(ingest_variant, s3_server) -> None:  # type: ignore[no-untyped-def]
    if isinstance(s3_server, MotoServer):
        pytest.skip("moto does not enforce presigned URL expiry; set ASSAY_TEST_S3_ENDPOINT to a MinIO/S3")
    async with ingest_variant(download_url_seconds=1) as short:
        stored = await short.upload([b"short-lived\n"])
        response = await short.files.GetDownloadUrl(ing.GetDownloadUrlRequest(id=stored.id), metadata=short.token())
        assert response.expires_in.seconds == 1
        assert "X-Amz-Expires=1&" in response.url or response.url.endswith("X-Amz-Expires=1")

        async def expired() -> bool:
            status, _, _ = await asyncio.to_thread(fetch, response.url)
            return status == 403

        await eventually(expired, timeout=10, interval=0.25)


async def test_submit_document_stores_the_file_and_creates_a_job_on_it(ingest_stack: IngestService) -> None:
    tenant = new_tenant()
    token = ingest_stack.token(tenant=tenant)
    response = await ingest_stack.files.SubmitDocument(submit_requests([b"what a lovely product\n"]), metadata=token)
    assert list(response.job.inputs.file_ids) == [response.file.id]
    assert response.job.analyzer == "sentiment" and response.job.state == job_pb2.Job.STATE_QUEUED
    assert ingest_stack.object_keys(tenant) == [object_key(tenant, response.file.id)]


async def test_retrying_a_submission_with_its_request_id_makes_no_second_job_or_object(
    ingest_stack: IngestService,
) -> None:
    tenant = new_tenant()
    token = ingest_stack.token(tenant=tenant)
    first = await ingest_stack.files.SubmitDocument(
        submit_requests([b"great service\n"], request_id="order-7"), metadata=token)
    retries = await asyncio.gather(*(
        ingest_stack.files.SubmitDocument(submit_requests([b"great service\n"], request_id="order-7"), metadata=token)
        for _ in range(5)
    ))
    assert {r.job.id for r in retries} == {first.job.id}
    assert {r.file.id for r in retries} == {first.file.id}
    assert ingest_stack.object_keys(tenant) == [object_key(tenant, first.file.id)]
    assert await ingest_stack.file_ids(token) == {first.file.id}


async def test_a_submission_jobs_refuses_leaves_no_file_behind(ingest_stack: IngestService) -> None:
    tenant = new_tenant()
    token = ingest_stack.token(tenant=tenant)
    error = await rpc_error(ingest_stack.files.SubmitDocument(submit_requests(
        [b"fine\n"], params=job_pb2.JobParams(contract_review={})), metadata=token))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "params" in [v.field for v in details_from_rpc_error(error).violations]
    assert ingest_stack.object_keys(tenant) == []
    assert await ingest_stack.file_ids(token) == set()
    error = await rpc_error(ingest_stack.files.SubmitDocument(
        submit_requests([b"fine\n"], analyzer="astrology"), metadata=token))
    assert [v.field for v in details_from_rpc_error(error).violations] == ["header.analyzer"]


async def test_a_worker_resolves_inputs_and_registers_an_artifact_it_wrote(ingest_stack: IngestService) -> None:
    tenant = new_tenant()
    worker, job_id = ingest_stack.worker_credential, str(uuid.uuid4())
    stored = await ingest_stack.upload([b"input\n"], metadata=ingest_stack.token(tenant=tenant))
    capability = ingest_stack.capability(tenant, job_id, [stored.id])  # jobs lists the job's inputs
    resolved = await ingest_stack.worker.ResolveInputs(wf.ResolveInputsRequest(
        tenant_id=tenant, ids=[stored.id], job_id=job_id, capability=capability), metadata=worker)
    assert [(i.file.id, i.object_key) for i in resolved.inputs] == [(stored.id, object_key(tenant, stored.id))]

    artifact_id, body = str(uuid.uuid4()), b"label,score\npositive,0.9\n"
    ingest_stack.s3.put_object(ingest_stack.bucket, object_key(tenant, artifact_id), io.BytesIO(body), len(body))
    request = wf.RegisterArtifactRequest(
        tenant_id=tenant, file_id=artifact_id, display_name="scores.csv", media_type="text/csv",
        sha256=hashlib.sha256(body).hexdigest(), job_id=job_id, capability=capability)
    registered = (await ingest_stack.worker.RegisterArtifact(request, metadata=worker)).file
    assert (registered.size_bytes, registered.tenant_id) == (len(body), tenant)
    again = (await ingest_stack.worker.RegisterArtifact(request, metadata=worker)).file
    assert again == registered
    got = await ingest_stack.files.GetFile(ing.GetFileRequest(id=artifact_id),
                                           metadata=ingest_stack.token(tenant=tenant))
    assert got.file.sha256 == request.sha256

    missing = wf.RegisterArtifactRequest(tenant_id=tenant, file_id=str(uuid.uuid4()), display_name="x.csv",
                                         sha256=request.sha256, job_id=job_id, capability=capability)
    assert (await rpc_error(ingest_stack.worker.RegisterArtifact(missing, metadata=worker))).code() == \
        grpc.StatusCode.NOT_FOUND
    user = ingest_stack.token(tenant=tenant)
    error = await rpc_error(ingest_stack.worker.ResolveInputs(
        wf.ResolveInputsRequest(tenant_id=tenant, ids=[stored.id], job_id=job_id, capability=capability),
        metadata=user))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED, "a tenant token is no worker credential"
