"""WorkerFileService: input resolution and artifact registration for analysis workers only: a worker
credential and the job's capability, which must name the request's tenant and job."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import grpc
from sqlalchemy.exc import IntegrityError

from assay.common.auth import TENANT_PATTERN, WORKER, principal, require_role
from assay.common.capabilities import JobCapabilities
from assay.common.errors import AlreadyExists, invalid_field
from assay.common.fields import parse_uuid
from assay.common.storage import object_key
from assay.ingest.codec import file_from_row
from assay.ingest.file_ids import parse_file_ids
from assay.ingest.objects import ObjectStore
from assay.ingest.store import FileStore, NewFile
from assay.ingest.upload import rejection
from assay.ingest.validation import UploadRejected, parse_expected_sha256, sanitize_display_name
from assay.v1 import worker_file_service_pb2, worker_file_service_pb2_grpc


def _tenant(raw: str) -> str:
    if not TENANT_PATTERN.match(raw):
        raise invalid_field("tenant_id", "must be 1-64 letters, digits, '_' or '-'")
    return raw


class WorkerFileServicer(worker_file_service_pb2_grpc.WorkerFileServiceServicer):
    """Worker calls: the tenant and job come from the request, the capability must name both."""

    def __init__(self, store: FileStore, objects: ObjectStore, capabilities: JobCapabilities) -> None:
        self._store = store
        self._objects = objects
        self._capabilities = capabilities

    def _authorize(self, tenant: str, job_id: str, capability: str,
                   reads: Sequence[uuid.UUID] = ()) -> tuple[str, uuid.UUID]:
        """The request's tenant and job, once the caller is a worker holding that job's capability
        (which must list every file in ``reads``)."""
        require_role(WORKER)
        checked = _tenant(tenant)
        if not job_id:
            raise invalid_field("job_id", "is required: the job the worker acts for")
        parsed = parse_uuid(job_id, "job_id")
        self._capabilities.verify(capability, tenant=checked, job_id=str(parsed),
                                  reads=[str(file_id) for file_id in reads])
        return checked, parsed

    async def ResolveInputs(
        self, request: worker_file_service_pb2.ResolveInputsRequest, context: grpc.aio.ServicerContext
    ) -> worker_file_service_pb2.ResolveInputsResponse:
        ids = parse_file_ids(request.ids)
        # Only the job's inputs and its dependencies' artifacts, as the capability lists them.
        tenant, _ = self._authorize(request.tenant_id, request.job_id, request.capability, reads=ids)
        rows = await self._store.get_many(tenant, ids)
        return worker_file_service_pb2.ResolveInputsResponse(inputs=[
            worker_file_service_pb2.ResolvedInput(file=file_from_row(row), object_key=row["object_key"])
            for row in rows
        ])

    async def RegisterArtifact(
        self, request: worker_file_service_pb2.RegisterArtifactRequest, context: grpc.aio.ServicerContext
    ) -> worker_file_service_pb2.RegisterArtifactResponse:
        tenant, job_id = self._authorize(request.tenant_id, request.job_id, request.capability)
        caller = principal()
        file_id = parse_uuid(request.file_id, "file_id")
        try:
            display_name = sanitize_display_name(request.display_name, field="display_name")
            sha256 = parse_expected_sha256(request.sha256, field="sha256")
        except UploadRejected as exc:
            raise rejection(exc) from None
        if sha256 is None:
            raise invalid_field("sha256", "is required: the digest computed while writing the object")
        size = await self._objects.size_of(object_key(tenant, file_id))
        new = NewFile(
            id=file_id, tenant=tenant, created_by=caller.subject, display_name=display_name,
            media_type=request.media_type or "application/octet-stream", size_bytes=size, sha256=sha256,
            scan_status="UNSCANNED", job_id=job_id,
        )
        try:
            stored = await self._store.insert(new)
        except IntegrityError:
            # A retried registration: answer with the row the first call wrote, if it is the same.
            row = await self._store.get_row(tenant, file_id)
            if row["sha256"] != sha256:
                raise AlreadyExists(
                    "FILE_EXISTS", f"file {file_id} is already registered with another digest") from None
            stored = file_from_row(row)
        return worker_file_service_pb2.RegisterArtifactResponse(file=stored)
