"""SubmitDocument's workflow: one upload and the job that analyses it, idempotent on request_id.

With a request_id the first call claims it, stores the file under the claimed id and records the
job; a retry is answered from what the first call recorded. The claim is leased (``claims``): one
whose upload stops progressing, or whose process died, is taken over by the next retry. When jobs
refuses the job, the upload is undone, so nothing is half-stored.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

from assay.common.auth import Principal
from assay.common.errors import Aborted, AlreadyExists, NotFound
from assay.ingest.claims import ClaimLease
from assay.ingest.intake import FileIntake
from assay.ingest.jobs_client import ForwardedError, JobsClient
from assay.ingest.objects import ObjectStore
from assay.ingest.store import FileStore, Submission
from assay.ingest.upload import CheckedHeader, drain
from assay.v1 import ingest_service_pb2, job_pb2, jobs_service_pb2


class DocumentSubmitter:
    """Stores a document and creates its job, exactly once per request_id."""

    def __init__(
        self, store: FileStore, objects: ObjectStore, jobs: JobsClient, intake: FileIntake, lease_seconds: float,
    ) -> None:
        self._store = store
        self._objects = objects
        self._jobs = jobs
        self._intake = intake
        self._lease_seconds = lease_seconds

    async def submit(
        self, caller: Principal, header: ingest_service_pb2.SubmitDocumentHeader, file: CheckedHeader,
        chunks: AsyncIterator[bytes],
    ) -> ingest_service_pb2.SubmitDocumentResponse:
        """Store the document streamed in ``chunks`` and create its job (``header`` is already checked)."""
        request_id = header.request_id
        if not request_id:
            stored = await self._intake.store(caller, file, chunks, uuid.uuid4())
            return await self._create_job(caller, header, stored, None)
        submission = await self._store.claim_submission(
            caller.tenant, request_id, header.analyzer, timedelta(seconds=self._lease_seconds))
        if not submission.claimed or submission.claim_id is None:
            await drain(chunks)
            return await self._replay(caller, submission, header)
        lease = ClaimLease(self._store, caller.tenant, request_id, submission.claim_id, self._lease_seconds)
        try:
            if submission.stored:  # a taken-over claim whose file was stored: only the job is missing
                await drain(chunks)
                stored = await self._store.get(caller.tenant, submission.file_id)
            else:
                stored = await self._intake.store(caller, file, lease.renewing(chunks), submission.file_id)
            return await self._create_job(caller, header, stored, lease)
        except BaseException:
            if not lease.lost:
                await asyncio.shield(self._store.release_submission(caller.tenant, request_id, lease.claim_id))
            raise
        finally:
            await lease.stop()

    async def _create_job(
        self, caller: Principal, header: ingest_service_pb2.SubmitDocumentHeader, stored: ingest_service_pb2.File,
        lease: ClaimLease | None,
    ) -> ingest_service_pb2.SubmitDocumentResponse:
        if lease is not None:
            try:
                # The fence: CreateJob (bounded by the jobs timeout, shorter than the lease) only
                # runs while the claim is ours, so a taken-over claim never creates a second job.
                await lease.renew()
            except Aborted:
                await self._store.discard_lost_claim_file(
                    caller.tenant, header.request_id, uuid.UUID(stored.id), self._objects.remove)
                raise
        request = jobs_service_pb2.CreateJobRequest(
            analyzer=header.analyzer, params=header.params, request_id=header.request_id,
            priority=header.priority, inputs=job_pb2.JobInputs(file_ids=[stored.id]),
        )
        try:
            job = await self._jobs.create_job(request, caller.token)
        except ForwardedError:
            # Jobs refused the request itself: undo the upload so that nothing is half-stored.
            await self._store.delete(caller.tenant, uuid.UUID(stored.id), self._objects.remove)
            raise
        if lease is not None:
            await self._store.record_job(caller.tenant, header.request_id, lease.claim_id, uuid.UUID(job.id))
        return ingest_service_pb2.SubmitDocumentResponse(job=job, file=stored)

    async def _replay(
        self, caller: Principal, submission: Submission, header: ingest_service_pb2.SubmitDocumentHeader
    ) -> ingest_service_pb2.SubmitDocumentResponse:
        """Answer a retried request_id from what the first call recorded."""
        if submission.analyzer != header.analyzer:
            raise AlreadyExists("REQUEST_ID_REUSED",
                                f"request_id {header.request_id!r} was used for a {submission.analyzer} submission")
        if submission.job_id is not None:
            job = await self._jobs.get_job(str(submission.job_id), caller.token)
            try:
                stored = await self._store.get(caller.tenant, submission.file_id)
            except NotFound:
                stored = None
            return ingest_service_pb2.SubmitDocumentResponse(job=job, file=stored)
        raise Aborted("SUBMISSION_IN_PROGRESS",
                      f"a submission with request_id {header.request_id!r} is still uploading; retry shortly")
