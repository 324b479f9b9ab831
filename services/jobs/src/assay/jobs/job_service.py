"""JobService: thin translation between gRPC requests and the job store."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from nats.aio.client import Client

from assay.common.auth import ADMIN, READERS, WRITERS, require_role
from assay.common.fields import parse_uuid
from assay.common.job_states import STATE_NAMES
from assay.common.paging import page_size
from assay.common.telemetry import current_trace_id
from assay.jobs.file_releases import FileReleases
from assay.jobs.files import FileCatalog
from assay.jobs.metrics import JOBS_CREATED
from assay.jobs.store import JobStore, ListQuery
from assay.jobs.validation import files_to_look_up, validate_create
from assay.jobs.watch import watch_job
from assay.v1 import jobs_service_pb2, jobs_service_pb2_grpc


class JobServicer(jobs_service_pb2_grpc.JobServiceServicer):
    """The client-facing job API; every call is scoped to the caller's tenant."""

    def __init__(
        self, store: JobStore, files: FileCatalog, nc: Client, default_max_attempts: int, releases: FileReleases,
    ) -> None:
        self._store = store
        self._releases = releases
        self._files = files
        self._nc = nc
        self._default_max_attempts = default_max_attempts

    async def CreateJob(
        self, request: jobs_service_pb2.CreateJobRequest, context: grpc.aio.ServicerContext
    ) -> jobs_service_pb2.CreateJobResponse:
        caller = require_role(*WRITERS)
        files = await self._files.require(files_to_look_up(request), caller.token)
        new = validate_create(request, files, default_max_attempts=self._default_max_attempts,
                              trace_id=current_trace_id())
        job, created = await self._store.create(caller.tenant, caller.subject, new)
        if created:
            JOBS_CREATED.labels(analyzer=job.analyzer).inc()
        return jobs_service_pb2.CreateJobResponse(job=job)

    async def GetJob(
        self, request: jobs_service_pb2.GetJobRequest, context: grpc.aio.ServicerContext
    ) -> jobs_service_pb2.GetJobResponse:
        caller = require_role(*READERS)
        job = await self._store.get(caller.tenant, parse_uuid(request.id, "id"))
        return jobs_service_pb2.GetJobResponse(job=job)

    async def ListJobs(
        self, request: jobs_service_pb2.ListJobsRequest, context: grpc.aio.ServicerContext
    ) -> jobs_service_pb2.ListJobsResponse:
        caller = require_role(*READERS)
        query = ListQuery(
            page_size=page_size(request.page_size),
            page_token=request.page_token,
            state=STATE_NAMES.get(request.state),
            analyzer=request.analyzer or None,
            file_id=str(parse_uuid(request.file_id, "file_id")) if request.file_id else None,
            active_only=request.active_only,
        )
        jobs, token = await self._store.list(caller.tenant, query)
        return jobs_service_pb2.ListJobsResponse(jobs=jobs, next_page_token=token)

    async def CancelJob(
        self, request: jobs_service_pb2.CancelJobRequest, context: grpc.aio.ServicerContext
    ) -> jobs_service_pb2.CancelJobResponse:
        caller = require_role(*WRITERS)
        job = await self._store.cancel(caller.tenant, caller.subject, parse_uuid(request.id, "id"))
        return jobs_service_pb2.CancelJobResponse(job=job)

    async def WatchJob(
        self, request: jobs_service_pb2.WatchJobRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[jobs_service_pb2.WatchJobResponse]:
        caller = require_role(*READERS)
        async for job in watch_job(self._nc, self._store, caller.tenant, parse_uuid(request.id, "id")):
            yield jobs_service_pb2.WatchJobResponse(job=job)

    async def RetryJob(
        self, request: jobs_service_pb2.RetryJobRequest, context: grpc.aio.ServicerContext
    ) -> jobs_service_pb2.RetryJobResponse:
        caller = require_role(ADMIN)
        job = await self._store.retry(caller.tenant, caller.subject, parse_uuid(request.id, "id"))
        return jobs_service_pb2.RetryJobResponse(job=job)

    async def ReleaseFile(
        self, request: jobs_service_pb2.ReleaseFileRequest, context: grpc.aio.ServicerContext
    ) -> jobs_service_pb2.ReleaseFileResponse:
        caller = require_role(*WRITERS)
        await self._releases.release(caller.tenant, parse_uuid(request.file_id, "file_id"))
        return jobs_service_pb2.ReleaseFileResponse()


__all__ = ["JobServicer"]
