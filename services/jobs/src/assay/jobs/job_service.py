"""JobService: thin translation between gRPC requests and the job store."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator

import grpc
from opentelemetry import trace

from assay.common.auth import ADMIN, READERS, WRITERS, require_role
from assay.common.errors import AssayError
from assay.common.fields import parse_uuid
from assay.common.job_states import STATE_NAMES
from assay.common.nats_link import NatsLink
from assay.common.paging import page_size
from assay.common.telemetry import current_trace_id
from assay.jobs.audit import audit_query
from assay.jobs.audit_record import AuditLog, audit_refusals, current_caller
from assay.jobs.deletion import JobDeletion
from assay.jobs.file_releases import FileReleases
from assay.jobs.files import FileCatalog
from assay.jobs.group_create import JobCreator
from assay.jobs.job_response import get_job_response
from assay.jobs.metrics import JOBS_CREATED
from assay.jobs.pipelines import pipeline_message, pipeline_request, validate_pipeline
from assay.jobs.quotas import usage_message
from assay.jobs.redrive import redrive_query
from assay.jobs.result_cache import with_cache_key
from assay.jobs.store import JobStore, ListQuery, NewJob
from assay.jobs.validation import files_to_look_up, validate_create
from assay.jobs.views import apply_view
from assay.jobs.watch import watch_job
from assay.v1 import jobs_service_pb2, jobs_service_pb2_grpc


class JobServicer(jobs_service_pb2_grpc.JobServiceServicer):
    """The client-facing job API; every call is scoped to the caller's tenant."""

    def __init__(
        self, store: JobStore, files: FileCatalog, nats: NatsLink, default_max_attempts: int, releases: FileReleases,
        deletion: JobDeletion, refusals: AuditLog, creator: JobCreator | None = None,
    ) -> None:
        self._store = store
        self._creator = creator if creator is not None else JobCreator(store)
        self._deletion = deletion
        self.refusals = refusals
        """Where refusals by role or quota are recorded (``audit_refusals``)."""
        self._releases = releases
        self._files = files
        self._nats = nats
        self._default_max_attempts = default_max_attempts

    @audit_refusals('create', lambda request: "jobs")
    async def CreateJob(
        self, request: jobs_service_pb2.CreateJobRequest, context: grpc.aio.ServicerContext
    ) -> jobs_service_pb2.CreateJobResponse:
        caller = require_role(*WRITERS)
        new = await self._validate(request, caller.token)
        job, created = await self._creator.create(caller.tenant, caller.subject, new)
        if created:
            JOBS_CREATED.labels(analyzer=job.analyzer).inc()
        return jobs_service_pb2.CreateJobResponse(job=job)

    async def _validate(self, request: jobs_service_pb2.CreateJobRequest, token: str) -> NewJob:
        files = await self._files.require(files_to_look_up(request), token)
        new = validate_create(request, files, default_max_attempts=self._default_max_attempts,
                              trace_id=current_trace_id())
        return dataclasses.replace(with_cache_key(new, request, files), caller=current_caller())

    @audit_refusals('create_pipeline', lambda request: "pipelines")
    async def CreatePipeline(
        self, request: jobs_service_pb2.CreatePipelineRequest, context: grpc.aio.ServicerContext
    ) -> jobs_service_pb2.CreatePipelineResponse:
        caller = require_role(*WRITERS)
        steps = await validate_pipeline(request, lambda job: self._validate(job, caller.token))
        created = uuid.uuid4()
        pipeline_id = await self._store.create_pipeline(caller.tenant, caller.subject, created, steps,
                                                        pipeline_request(request))
        span = trace.get_current_span()
        span.set_attribute("assay.pipeline.id", str(pipeline_id))
        span.set_attribute("assay.pipeline.repeated", pipeline_id != created)
        if pipeline_id == created:
            for step in steps:
                JOBS_CREATED.labels(analyzer=step.new.analyzer).inc()
        return jobs_service_pb2.CreatePipelineResponse(pipeline=await self._pipeline(caller.tenant, pipeline_id))

    async def GetPipeline(
        self, request: jobs_service_pb2.GetPipelineRequest, context: grpc.aio.ServicerContext
    ) -> jobs_service_pb2.GetPipelineResponse:
        caller = require_role(*READERS)
        pipeline = await self._pipeline(caller.tenant, parse_uuid(request.id, "id"))
        return jobs_service_pb2.GetPipelineResponse(pipeline=pipeline)

    @audit_refusals('cancel_pipeline', lambda request: f"pipelines/{request.id}")
    async def CancelPipeline(
        self, request: jobs_service_pb2.CancelPipelineRequest, context: grpc.aio.ServicerContext
    ) -> jobs_service_pb2.CancelPipelineResponse:
        caller = require_role(*WRITERS)
        pipeline_id = parse_uuid(request.id, "id")
        await self._store.cancel_pipeline(caller.tenant, caller.subject, pipeline_id)
        return jobs_service_pb2.CancelPipelineResponse(pipeline=await self._pipeline(caller.tenant, pipeline_id))

    async def _pipeline(self, tenant: str, pipeline_id: uuid.UUID) -> jobs_service_pb2.Pipeline:
        created, jobs = await self._store.pipeline(tenant, pipeline_id)
        return pipeline_message(pipeline_id, tenant, created, jobs)

    async def GetJob(
        self, request: jobs_service_pb2.GetJobRequest, context: grpc.aio.ServicerContext
    ) -> jobs_service_pb2.GetJobResponse:
        caller = require_role(*READERS)
        job_id = parse_uuid(request.id, "id")
        if request.view in (jobs_service_pb2.JOB_VIEW_UNSPECIFIED, jobs_service_pb2.JOB_VIEW_FULL):
            return get_job_response(await self._store.get_wire(caller.tenant, job_id))  # as cached: no parse
        job = await self._store.get(caller.tenant, job_id)
        return jobs_service_pb2.GetJobResponse(job=apply_view(job, request.view, jobs_service_pb2.JOB_VIEW_FULL))

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
            error_code=request.error_code or None,
        )
        jobs, token = await self._store.list(caller.tenant, query)
        shown = [apply_view(job, request.view, jobs_service_pb2.JOB_VIEW_BASIC) for job in jobs]
        return jobs_service_pb2.ListJobsResponse(jobs=shown, next_page_token=token)

    @audit_refusals('cancel', lambda request: f"jobs/{request.id}")
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
        async for job in watch_job(self._nats.client(), self._store, caller.tenant, parse_uuid(request.id, "id")):
            yield jobs_service_pb2.WatchJobResponse(job=job)

    @audit_refusals('retry', lambda request: f"jobs/{request.id}")
    async def RetryJob(
        self, request: jobs_service_pb2.RetryJobRequest, context: grpc.aio.ServicerContext
    ) -> jobs_service_pb2.RetryJobResponse:
        caller = require_role(ADMIN)
        job = await self._store.retry(caller.tenant, caller.subject, parse_uuid(request.id, "id"))
        return jobs_service_pb2.RetryJobResponse(job=job)

    async def GetUsage(
        self, request: jobs_service_pb2.GetUsageRequest, context: grpc.aio.ServicerContext
    ) -> jobs_service_pb2.GetUsageResponse:
        caller = require_role(*READERS)
        return jobs_service_pb2.GetUsageResponse(quotas=[
            usage_message(usage) for usage in await self._store.usage(caller.tenant)])

    @audit_refusals('redrive', lambda request: "jobs")
    async def RedriveJobs(
        self, request: jobs_service_pb2.RedriveJobsRequest, context: grpc.aio.ServicerContext
    ) -> jobs_service_pb2.RedriveJobsResponse:
        caller = require_role(ADMIN)
        response = jobs_service_pb2.RedriveJobsResponse()
        for job_id in await self._store.retry_candidates(caller.tenant, redrive_query(request)):
            try:
                response.retried.append(await self._store.retry(caller.tenant, caller.subject, job_id))
            except AssayError as refusal:  # e.g. INPUT_DELETED, or retried by someone else meanwhile
                response.refused.append(jobs_service_pb2.RedriveRefusal(
                    job_id=str(job_id), reason=refusal.reason, message=refusal.message))
        await self._store.record_redrive(caller.tenant, request, len(response.retried), len(response.refused))
        return response

    async def ListAuditEvents(
        self, request: jobs_service_pb2.ListAuditEventsRequest, context: grpc.aio.ServicerContext
    ) -> jobs_service_pb2.ListAuditEventsResponse:
        caller = require_role(ADMIN)
        events, token = await self._store.audit_events(caller.tenant, audit_query(request))
        return jobs_service_pb2.ListAuditEventsResponse(events=events, next_page_token=token)

    @audit_refusals('delete_file', lambda request: f"files/{request.file_id}")
    async def ReleaseFile(
        self, request: jobs_service_pb2.ReleaseFileRequest, context: grpc.aio.ServicerContext
    ) -> jobs_service_pb2.ReleaseFileResponse:
        caller = require_role(*WRITERS)
        file_id = parse_uuid(request.file_id, "file_id")
        await self._releases.release(caller.tenant, file_id)
        deleted = 0
        if request.cascade:
            deleted = await self._deletion.delete_derived(caller.tenant, str(file_id), caller.token)
        await self._releases.record_deletion(caller.tenant, file_id, cascade=request.cascade, jobs_deleted=deleted)
        return jobs_service_pb2.ReleaseFileResponse()

    @audit_refusals('delete', lambda request: f"jobs/{request.id}")
    async def DeleteJob(
        self, request: jobs_service_pb2.DeleteJobRequest, context: grpc.aio.ServicerContext
    ) -> jobs_service_pb2.DeleteJobResponse:
        caller = require_role(*WRITERS)
        await self._deletion.delete_job(caller.tenant, parse_uuid(request.id, "id"), caller.token)
        return jobs_service_pb2.DeleteJobResponse()


__all__ = ["JobServicer"]
