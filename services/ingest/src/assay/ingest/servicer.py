"""IngestService: uploads validated into object storage, file metadata, and document submission."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

import grpc
from google.protobuf import duration_pb2

from assay.common import paging
from assay.common.analyzers import ANALYZER_NAMES
from assay.common.auth import Principal, require_role
from assay.common.errors import AlreadyExists, AssayError, FailedPrecondition, NotFound, invalid_field
from assay.common.storage import object_key
from assay.ingest.codec import file_from_row
from assay.ingest.config import IngestSettings
from assay.ingest.jobs_client import ForwardedError, JobsClient
from assay.ingest.objects import ObjectStore
from assay.ingest.store import FileStore, NewFile, Submission
from assay.ingest.upload import (
    AcceptedUpload,
    CheckedHeader,
    Limits,
    answered_after_stream,
    check_header,
    discard,
    parse_clamd_addr,
    receive,
    spooled,
)
from assay.ingest.validation import content_disposition
from assay.v1 import ingest_service_pb2, ingest_service_pb2_grpc, job_pb2, jobs_service_pb2

logger = logging.getLogger(__name__)

READERS = ("admin", "user", "readonly")
WRITERS = ("admin", "user")
MAX_BATCH = 100
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

class Aborted(AssayError):
    """A concurrent operation holds the resource; the caller may retry shortly."""

    code = grpc.StatusCode.ABORTED


def parse_file_id(raw: str, field: str = "id") -> uuid.UUID:
    """A file id from a request, or INVALID_ARGUMENT naming ``field``."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise invalid_field(field, "must be a UUID") from None


def parse_file_ids(raw: Sequence[str], field: str = "ids") -> list[uuid.UUID]:
    if not raw:
        raise invalid_field(field, "name at least one file")
    if len(raw) > MAX_BATCH:
        raise invalid_field(field, f"at most {MAX_BATCH} ids per call")
    return [parse_file_id(value, f"{field}[{index}]") for index, value in enumerate(raw)]


async def open_stream(requests: AsyncIterator[Any]) -> tuple[Any, AsyncIterator[bytes]]:
    """The header of an upload stream, and an iterator over the chunks that follow it."""
    iterator = aiter(requests)
    first = await anext(iterator, None)
    if first is None or first.WhichOneof("payload") != "header":
        raise invalid_field("header", "the first message of the stream must be the header",
                            reason="HEADER_REQUIRED")

    async def chunks() -> AsyncIterator[bytes]:
        async for message in iterator:
            if message.WhichOneof("payload") != "chunk":
                raise invalid_field("header", "only the first message of the stream may be a header",
                                    reason="HEADER_REPEATED")
            yield message.chunk

    return first.header, chunks()


class IngestServicer(ingest_service_pb2_grpc.IngestServiceServicer):
    """The client-facing file API; every call is scoped to the caller's tenant."""

    def __init__(self, store: FileStore, objects: ObjectStore, jobs: JobsClient, settings: IngestSettings) -> None:
        self._store = store
        self._objects = objects
        self._jobs = jobs
        self._settings = settings
        self._limits = Limits(
            max_bytes=settings.max_upload_bytes, clamd=parse_clamd_addr(settings.clamd_addr),
            clamd_timeout=settings.clamd_timeout_seconds, spool_dir=settings.spool_dir or None,
            drain_bytes=settings.upload_drain_bytes,
        )
        self._background: set[asyncio.Future[Any]] = set()

    # -- uploads -----------------------------------------------------------------------------

    async def UploadFile(
        self, request_iterator: AsyncIterator[ingest_service_pb2.UploadFileRequest],
        context: grpc.aio.ServicerContext,
    ) -> ingest_service_pb2.UploadFileResponse:
        async with answered_after_stream(request_iterator, self._limits):
            caller = require_role(*WRITERS)
            header, chunks = await open_stream(request_iterator)
            checked = check_header(header, "header", self._limits.max_bytes)
            stored = await self._store_upload(caller, checked, chunks, uuid.uuid4())
        return ingest_service_pb2.UploadFileResponse(file=stored)

    async def _store_upload(
        self, caller: Principal, header: CheckedHeader, chunks: AsyncIterator[bytes], file_id: uuid.UUID
    ) -> ingest_service_pb2.File:
        """Receive, validate, then store object and row; a rejection stores nothing at all."""
        with spooled(header, self._limits) as receiving:
            accepted = await receive(receiving, chunks)
            # Once everything is checked, finish storing even if the client goes away meanwhile:
            # a put cut off half-way would leave an object without a row.
            commit = asyncio.ensure_future(self._commit(caller, accepted, file_id))
            self._background.add(commit)
            commit.add_done_callback(self._background.discard)
            try:
                return await asyncio.shield(commit)
            except asyncio.CancelledError:
                await asyncio.wait([commit])  # the spool must outlive the put
                raise

    async def _commit(self, caller: Principal, accepted: AcceptedUpload, file_id: uuid.UUID) -> ingest_service_pb2.File:
        key = object_key(caller.tenant, file_id)
        await self._objects.put(key, accepted.spool, accepted.size, accepted.media_type)
        try:
            return await self._store.insert(NewFile(
                id=file_id, tenant=caller.tenant, created_by=caller.subject, display_name=accepted.display_name,
                media_type=accepted.media_type, size_bytes=accepted.size, sha256=accepted.sha256,
                scan_status=accepted.scan_status,
            ))
        except BaseException:
            await self._objects.remove_quietly(key)
            raise

    async def wait_background(self) -> None:
        """Let stores that outlived their RPC finish (called on shutdown)."""
        if self._background:
            await asyncio.wait(list(self._background))

    # -- submission --------------------------------------------------------------------------

    async def SubmitDocument(
        self, request_iterator: AsyncIterator[ingest_service_pb2.SubmitDocumentRequest],
        context: grpc.aio.ServicerContext,
    ) -> ingest_service_pb2.SubmitDocumentResponse:
        async with answered_after_stream(request_iterator, self._limits):
            return await self._submit(request_iterator)

    async def _submit(
        self, request_iterator: AsyncIterator[ingest_service_pb2.SubmitDocumentRequest],
    ) -> ingest_service_pb2.SubmitDocumentResponse:
        caller = require_role(*WRITERS)
        header, chunks = await open_stream(request_iterator)
        if not header.analyzer:
            raise invalid_field("header.analyzer", "is required")
        if header.analyzer not in ANALYZER_NAMES:
            raise invalid_field("header.analyzer",
                                f"unknown analyzer {header.analyzer!r}; known: {', '.join(ANALYZER_NAMES)}")
        request_id = header.request_id
        if request_id and not REQUEST_ID_PATTERN.match(request_id):
            raise invalid_field("header.request_id", "must be 1-128 characters of letters, digits and . _ : -")
        checked = check_header(header.file, "header.file", self._limits.max_bytes)

        file_id = uuid.uuid4()
        if request_id:
            submission = await self._store.claim_submission(caller.tenant, request_id, header.analyzer)
            if not submission.claimed:
                await discard(request_iterator, self._limits.max_bytes + self._limits.drain_bytes)
                return await self._replay(caller, submission, header)
            file_id = submission.file_id
        try:
            stored = await self._store_upload(caller, checked, chunks, file_id)
        except BaseException:
            if request_id:
                await asyncio.shield(self._store.release_submission(caller.tenant, request_id))
            raise
        return await self._create_job(caller, header, stored)

    async def _create_job(
        self, caller: Principal, header: ingest_service_pb2.SubmitDocumentHeader, stored: ingest_service_pb2.File
    ) -> ingest_service_pb2.SubmitDocumentResponse:
        request = jobs_service_pb2.CreateJobRequest(
            analyzer=header.analyzer, params=header.params, request_id=header.request_id,
            priority=header.priority, inputs=job_pb2.JobInputs(file_ids=[stored.id]),
        )
        try:
            job = await self._jobs.create_job(request, caller.token)
        except ForwardedError:
            # Jobs refused the request itself: undo the upload so that nothing is half-stored.
            file_id = uuid.UUID(stored.id)
            await self._store.delete(caller.tenant, file_id, self._objects.remove)
            if header.request_id:
                await self._store.release_submission(caller.tenant, header.request_id)
            raise
        if header.request_id:
            await self._store.record_job(caller.tenant, header.request_id, uuid.UUID(job.id))
        return ingest_service_pb2.SubmitDocumentResponse(job=job, file=stored)

    async def _replay(
        self, caller: Principal, submission: Submission, header: ingest_service_pb2.SubmitDocumentHeader
    ) -> ingest_service_pb2.SubmitDocumentResponse:
        """Answer a retried request_id from what the first call recorded."""
        if submission.analyzer != header.analyzer:
            raise AlreadyExists("REQUEST_ID_REUSED",
                                f"request_id {header.request_id!r} was used for a {submission.analyzer} submission")
        try:
            stored = await self._store.get(caller.tenant, submission.file_id)
        except NotFound:
            stored = None
        if submission.job_id is not None:
            job = await self._jobs.get_job(str(submission.job_id), caller.token)
            return ingest_service_pb2.SubmitDocumentResponse(job=job, file=stored)
        if stored is None:
            raise Aborted("SUBMISSION_IN_PROGRESS",
                          f"a submission with request_id {header.request_id!r} is still uploading; retry shortly")
        # The first call stored the file but did not record a job: CreateJob is idempotent on request_id.
        return await self._create_job(caller, header, stored)

    # -- metadata ----------------------------------------------------------------------------

    async def GetFile(
        self, request: ingest_service_pb2.GetFileRequest, context: grpc.aio.ServicerContext
    ) -> ingest_service_pb2.GetFileResponse:
        caller = require_role(*READERS)
        return ingest_service_pb2.GetFileResponse(file=await self._store.get(caller.tenant, parse_file_id(request.id)))

    async def BatchGetFiles(
        self, request: ingest_service_pb2.BatchGetFilesRequest, context: grpc.aio.ServicerContext
    ) -> ingest_service_pb2.BatchGetFilesResponse:
        caller = require_role(*READERS)
        rows = await self._store.get_many(caller.tenant, parse_file_ids(request.ids))
        return ingest_service_pb2.BatchGetFilesResponse(files=[file_from_row(row) for row in rows])

    async def ListFiles(
        self, request: ingest_service_pb2.ListFilesRequest, context: grpc.aio.ServicerContext
    ) -> ingest_service_pb2.ListFilesResponse:
        caller = require_role(*READERS)
        found, token = await self._store.list(caller.tenant, paging.page_size(request.page_size), request.page_token)
        return ingest_service_pb2.ListFilesResponse(files=found, next_page_token=token)

    async def DeleteFile(
        self, request: ingest_service_pb2.DeleteFileRequest, context: grpc.aio.ServicerContext
    ) -> ingest_service_pb2.DeleteFileResponse:
        caller = require_role(*WRITERS)
        file_id = parse_file_id(request.id)
        await self._store.get_row(caller.tenant, file_id)  # NOT_FOUND before asking jobs anything
        if await self._jobs.file_in_use(str(file_id), caller.token):
            raise FailedPrecondition("FILE_IN_USE", f"file {file_id} is an input of a job that has not finished; "
                                     "cancel the job or wait for it to end")
        await self._store.delete(caller.tenant, file_id, self._objects.remove)
        return ingest_service_pb2.DeleteFileResponse()

    async def GetDownloadUrl(
        self, request: ingest_service_pb2.GetDownloadUrlRequest, context: grpc.aio.ServicerContext
    ) -> ingest_service_pb2.GetDownloadUrlResponse:
        caller = require_role(*READERS)
        row = await self._store.get_row(caller.tenant, parse_file_id(request.id))
        lifetime = timedelta(seconds=self._settings.download_url_seconds)
        url = self._objects.presign_get(row["object_key"], lifetime, content_disposition(row["display_name"]),
                                        row["media_type"])
        return ingest_service_pb2.GetDownloadUrlResponse(
            url=url, expires_in=duration_pb2.Duration(seconds=self._settings.download_url_seconds))


__all__ = ["IngestServicer", "open_stream", "parse_file_id", "parse_file_ids"]
