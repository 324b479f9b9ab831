"""IngestService: uploads validated into object storage, file metadata, and document submission."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import grpc
from google.protobuf import duration_pb2

from assay.common import paging
from assay.common.analyzers import ANALYZER_NAMES, SPECS
from assay.common.auth import READERS, WRITERS, require_role
from assay.common.errors import FieldViolation, invalid_field, invalid_fields
from assay.common.fields import parse_uuid, request_id_violation
from assay.common.spec_checks import declared_violations
from assay.ingest.codec import file_from_row
from assay.ingest.config import IngestSettings
from assay.ingest.file_deletion import FileDeletion
from assay.ingest.file_ids import parse_file_ids
from assay.ingest.index_client import IndexClient
from assay.ingest.intake import FileIntake
from assay.ingest.jobs_client import JobsClient
from assay.ingest.objects import ObjectStore
from assay.ingest.store import FileStore
from assay.ingest.submission import DocumentSubmitter
from assay.ingest.upload import Limits, check_header, parse_clamd_addr
from assay.ingest.validation import content_disposition, download_media_type
from assay.v1 import ingest_service_pb2, ingest_service_pb2_grpc

logger = logging.getLogger(__name__)


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

    def __init__(self, store: FileStore, objects: ObjectStore, jobs: JobsClient, settings: IngestSettings,
                 index: IndexClient | None = None) -> None:
        self._store = store
        self._index = index or IndexClient()
        self._objects = objects
        self._jobs = jobs
        self._settings = settings
        self._intake = FileIntake(store, objects, Limits(
            max_bytes=settings.max_upload_bytes, clamd=parse_clamd_addr(settings.clamd_addr),
            clamd_timeout=settings.clamd_timeout_seconds, spool_dir=settings.spool_dir or None,
        ))
        self._deletion = FileDeletion(store, objects, jobs, self._index)
        self._submitter = DocumentSubmitter(store, objects, jobs, self._intake, settings.submission_lease_seconds)

    async def wait_background(self) -> None:
        """Let stores that outlived their RPC finish (called on shutdown)."""
        await self._intake.wait_background()

    # -- uploads -----------------------------------------------------------------------------

    async def UploadFile(
        self, request_iterator: AsyncIterator[ingest_service_pb2.UploadFileRequest],
        context: grpc.aio.ServicerContext,
    ) -> ingest_service_pb2.UploadFileResponse:
        caller = require_role(*WRITERS)
        header, chunks = await open_stream(request_iterator)
        checked = check_header(header, "header", self._intake.limits.max_bytes)
        stored = await self._intake.store(caller, checked, chunks, uuid.uuid4())
        return ingest_service_pb2.UploadFileResponse(file=stored)

    # -- submission --------------------------------------------------------------------------

    async def SubmitDocument(
        self, request_iterator: AsyncIterator[ingest_service_pb2.SubmitDocumentRequest],
        context: grpc.aio.ServicerContext,
    ) -> ingest_service_pb2.SubmitDocumentResponse:
        caller = require_role(*WRITERS)
        header, chunks = await open_stream(request_iterator)
        if not header.analyzer:
            raise invalid_field("header.analyzer", "is required")
        if header.analyzer not in ANALYZER_NAMES:
            raise invalid_field("header.analyzer",
                                f"unknown analyzer {header.analyzer!r}; known: {', '.join(ANALYZER_NAMES)}")
        if (bad_request_id := request_id_violation(header.request_id, "header.request_id")) is not None:
            raise invalid_fields([bad_request_id])
        if early := _spec_violations(header):
            raise invalid_fields(early)
        checked = check_header(header.file, "header.file", self._intake.limits.max_bytes)
        return await self._submitter.submit(caller, header, checked, chunks)

    # -- metadata ----------------------------------------------------------------------------

    async def GetFile(
        self, request: ingest_service_pb2.GetFileRequest, context: grpc.aio.ServicerContext
    ) -> ingest_service_pb2.GetFileResponse:
        caller = require_role(*READERS)
        stored = await self._store.get(caller.tenant, parse_uuid(request.id, "id"))
        return ingest_service_pb2.GetFileResponse(file=stored)

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
        await self._deletion.delete(caller.tenant, parse_uuid(request.id, "id"), caller.token, cascade=request.cascade)
        return ingest_service_pb2.DeleteFileResponse()

    async def GetStorageUsage(
        self, request: ingest_service_pb2.GetStorageUsageRequest, context: grpc.aio.ServicerContext
    ) -> ingest_service_pb2.GetStorageUsageResponse:
        caller = require_role(*READERS)
        return await self._store.storage_usage(caller.tenant)

    async def GetDownloadUrl(
        self, request: ingest_service_pb2.GetDownloadUrlRequest, context: grpc.aio.ServicerContext
    ) -> ingest_service_pb2.GetDownloadUrlResponse:
        caller = require_role(*READERS)
        row = await self._store.get_row(caller.tenant, parse_uuid(request.id, "id"))
        lifetime = timedelta(seconds=self._settings.download_url_seconds)
        url = self._objects.presign_get(row["object_key"], lifetime, content_disposition(row["display_name"]),
                                        download_media_type(row["media_type"]))
        return ingest_service_pb2.GetDownloadUrlResponse(
            url=url, expires_in=duration_pb2.Duration(seconds=self._settings.download_url_seconds))


__all__ = ["IngestServicer", "open_stream"]


def _spec_violations(header: ingest_service_pb2.SubmitDocumentHeader) -> list[FieldViolation]:
    """What the analyzer's spec refuses anyway (params, a declared size), found before the upload is read;
    the rest (the sniffed type, the real size) is CreateJob's to check."""
    spec = SPECS.get(header.analyzer)
    if spec is None or header.params.WhichOneof("analyzer_params") not in (None, header.analyzer):
        return []
    return declared_violations(spec, header.params, header.file.size_bytes,
                               params_field="header.params", size_field="header.file.size_bytes")
