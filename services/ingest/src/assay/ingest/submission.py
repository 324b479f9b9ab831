"""SubmitDocument's workflow: one upload and the job that analyses it, idempotent on request_id.

With a request_id the first call claims it, stores the file under the claimed id and records the
job; a retry is answered from what the first call recorded. When jobs refuses the job, the upload
is undone, so nothing is half-stored.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

from assay.common.auth import Principal
from assay.common.errors import Aborted, AlreadyExists, NotFound
from assay.ingest.intake import FileIntake
from assay.ingest.jobs_client import ForwardedError, JobsClient
from assay.ingest.objects import ObjectStore
from assay.ingest.store import FileStore, Submission
from assay.ingest.upload import CheckedHeader, drain
from assay.v1 import ingest_service_pb2, job_pb2, jobs_service_pb2


class DocumentSubmitter:
    """Stores a document and creates its job, exactly once per request_id."""

    def __init__(self, store: FileStore, objects: ObjectStore, jobs: JobsClient, intake: FileIntake) -> None:
        self._store = store
        self._objects = objects
        self._jobs = jobs
        self._intake = intake

    async def submit(
        self, caller: Principal, header: ingest_service_pb2.SubmitDocumentHeader, file: CheckedHeader,
        chunks: AsyncIterator[bytes],
    ) -> ingest_service_pb2.SubmitDocumentResponse:
        """Store the document streamed in ``chunks`` and create its job (``header`` is already checked)."""
        request_id = header.request_id
        file_id = uuid.uuid4()
        if request_id:
            submission = await self._store.claim_submission(caller.tenant, request_id, header.analyzer)
            if not submission.claimed:
                await drain(chunks)
                return await self._replay(caller, submission, header)
            file_id = submission.file_id
        try:
            stored = await self._intake.store(caller, file, chunks, file_id)
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
