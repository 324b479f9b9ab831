"""SubmitDocument's workflow: one upload and the job that analyses it, idempotent on request_id.

With a request_id the first call claims it, stores the file under the claimed id and records the
job; a retry is answered from what the first call recorded. The claim is leased (``claims``): one
whose upload stops progressing, or whose process died, is taken over by the next retry. When jobs
refuses the job, the upload is undone, so nothing is half-stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

from opentelemetry import trace

from assay.common.auth import Principal
from assay.common.errors import Aborted, AlreadyExists, NotFound
from assay.common.proto_json import clear_redacted
from assay.ingest.claims import ClaimLease
from assay.ingest.intake import FileIntake
from assay.ingest.jobs_client import ForwardedError, JobsClient
from assay.ingest.objects import ObjectStore
from assay.ingest.store import FileStore, Submission
from assay.ingest.upload import CheckedHeader, drain
from assay.v1 import ingest_service_pb2, job_pb2, jobs_service_pb2

logger = logging.getLogger(__name__)


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
        digest = request_digest(header)
        submission = await self._store.claim_submission(
            caller.tenant, request_id, header.analyzer, timedelta(seconds=self._lease_seconds), digest)
        claim = "replay" if not submission.claimed else "taken_over" if submission.taken_over else "new"
        trace.get_current_span().set_attribute("assay.submission.claim", claim)
        if submission.taken_over:
            logger.warning("took over a stalled submission claim",
                           extra={"request_id": request_id, "tenant": caller.tenant, "stored": submission.stored})
        if not submission.claimed or submission.claim_id is None:
            _check_same_request(submission, header, digest)
            content = await drain(chunks)
            return await self._replay(caller, submission, header, content)
        lease = ClaimLease(self._store, caller.tenant, request_id, submission.claim_id, self._lease_seconds)
        try:
            if submission.stored:  # a taken-over claim whose file was stored: only the job is missing
                content = await drain(chunks)
                stored = await self._store.get(caller.tenant, submission.file_id)
                _check_same_content(stored, content, request_id)
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
            priority=header.priority, inputs=job_pb2.JobInputs(file_ids=[stored.id]), no_cache=header.no_cache,
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
        self, caller: Principal, submission: Submission, header: ingest_service_pb2.SubmitDocumentHeader,
        content_sha256: str,
    ) -> ingest_service_pb2.SubmitDocumentResponse:
        """Answer a retried request_id from what the first call recorded, waiting for it while it is
        still being performed (a concurrent identical request gets the winner's job, not a refusal)."""
        request_id = header.request_id
        deadline = time.monotonic() + 2 * self._lease_seconds
        pause = 0.05
        found: Submission | None = submission
        while found is not None and found.job_id is None and found.live and time.monotonic() < deadline:
            await asyncio.sleep(pause)  # polling the claim the winner holds, up to a deadline
            pause = min(pause * 2, 0.5)
            found = await self._store.find_submission(caller.tenant, request_id)
        if found is None or found.job_id is None:
            raise Aborted("SUBMISSION_IN_PROGRESS",
                          f"a submission with request_id {request_id!r} is still uploading; retry shortly")
        try:
            stored = await self._store.get(caller.tenant, found.file_id)
        except NotFound:
            stored = None  # deleted since: nothing left to compare the content with
        if stored is not None:
            _check_same_content(stored, content_sha256, request_id)
        job = await self._jobs.get_job(str(found.job_id), caller.token)
        return ingest_service_pb2.SubmitDocumentResponse(job=job, file=stored)


def request_digest(header: ingest_service_pb2.SubmitDocumentHeader) -> str:
    """The sha256 of everything a submission's header says except its request_id and secret params."""
    canonical = ingest_service_pb2.SubmitDocumentHeader()
    canonical.CopyFrom(header)
    canonical.ClearField("request_id")
    clear_redacted(canonical)  # the stored digest must not be a way to test guesses of a password
    return hashlib.sha256(canonical.SerializeToString(deterministic=True)).hexdigest()


def _reused(request_id: str, what: str) -> AlreadyExists:
    return AlreadyExists("REQUEST_ID_REUSED", f"request_id {request_id!r} was already used for a submission "
                                              f"with a different {what}")


def _check_same_request(submission: Submission, header: ingest_service_pb2.SubmitDocumentHeader, digest: str) -> None:
    if submission.analyzer != header.analyzer:
        raise _reused(header.request_id, "analyzer")
    if submission.request_digest and submission.request_digest != digest:
        raise _reused(header.request_id, "header (file name, media type, params or priority)")


def _check_same_content(stored: ingest_service_pb2.File, content_sha256: str, request_id: str) -> None:
    if stored.sha256 != content_sha256:
        raise _reused(request_id, "file content")
