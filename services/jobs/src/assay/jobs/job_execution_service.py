"""JobExecutionService: the worker-facing transitions, callable only with a worker credential and the
job's capability (see :mod:`assay.common.capabilities`)."""

from __future__ import annotations

import json
import uuid

import grpc
from google.protobuf import duration_pb2
from opentelemetry import trace

from assay.common.auth import WORKER, require_role
from assay.common.capabilities import JobCapabilities
from assay.common.errors import invalid_field
from assay.common.fields import parse_uuid
from assay.common.job_states import STATE_NAMES
from assay.jobs.backoff import retry_delay
from assay.jobs.batch_transitions import CompleteItem, StartItem
from assay.jobs.codec import to_json
from assay.jobs.config import JobsSettings
from assay.jobs.job_execution_batch import answer_batch
from assay.jobs.metrics import (
    ATTEMPT_DURATION,
    ATTEMPTS_RELEASED,
    CAPABILITIES_RENEWED,
    JOB_DEAD_LETTERS,
    JOB_RETRIES,
    JOBS_FINISHED,
)
from assay.jobs.store import JobStore, StartOutcome, WorkerSlot
from assay.v1 import job_execution_service_pb2 as pb
from assay.v1 import job_execution_service_pb2_grpc, job_pb2

_DECISIONS = {
    "RUN": pb.StartJobResponse.DECISION_RUN,
    "SKIP": pb.StartJobResponse.DECISION_SKIP,
    "RETRY_LATER": pb.StartJobResponse.DECISION_RETRY_LATER,
}


def _duration(seconds: float) -> duration_pb2.Duration:
    duration = duration_pb2.Duration()
    duration.FromNanoseconds(int(seconds * 1e9))
    return duration


def _attempt(value: int) -> int:
    if value < 1:
        raise invalid_field("attempt", "must be the attempt number StartJob returned (1 or more)")
    return value


def start_response(outcome: StartOutcome, renewed: str) -> pb.StartJobResponse:
    """StartJob's answer for ``outcome`` (``renewed``: the capability renewed for the attempt, if so)."""
    if outcome.decision == "SKIP" and STATE_NAMES.get(outcome.job.state) == "FAILED":
        _record_finish(outcome.job)
    running = outcome.decision == "RUN"
    if renewed and running:
        CAPABILITIES_RENEWED.inc()
        trace.get_current_span().set_attribute("assay.capability_renewed", True)
    return pb.StartJobResponse(
        decision=_DECISIONS[outcome.decision], job=outcome.job,
        retry_delay=_duration(outcome.retry_after), dependencies=outcome.dependencies,
        capability=renewed if running else "",
    )


def worker_slot(request: pb.StartJobRequest) -> WorkerSlot | None:
    """The calling worker process's slot and boot, when it holds a slot."""
    return WorkerSlot(request.worker_slot, request.worker_boot) if request.worker_slot else None


def _record_finish(job: job_pb2.Job) -> None:
    outcome = STATE_NAMES[job.state].lower()
    JOBS_FINISHED.labels(analyzer=job.analyzer, outcome=outcome).inc()
    if job.HasField("start_time") and job.HasField("end_time"):
        elapsed = job.end_time.ToDatetime() - job.start_time.ToDatetime()
        ATTEMPT_DURATION.labels(analyzer=job.analyzer, outcome=outcome).observe(elapsed.total_seconds())


class JobExecutionServicer(job_execution_service_pb2_grpc.JobExecutionServiceServicer):
    """StartJob, Heartbeat, CompleteJob, FailJob; the attempt number fences out stale workers."""

    def __init__(self, store: JobStore, settings: JobsSettings, capabilities: JobCapabilities) -> None:
        self._store = store
        self._settings = settings
        self._capabilities = capabilities

    def _authorize(self, tenant: str, job_id: str, capability: str) -> uuid.UUID:
        """The job's id, once the caller is a worker holding this job's capability (before any lookup)."""
        require_role(WORKER)
        parsed = parse_uuid(job_id, "id")
        self._capabilities.verify(capability, tenant=tenant, job_id=str(parsed))
        return parsed

    async def StartJob(self, request: pb.StartJobRequest, context: grpc.aio.ServicerContext) -> pb.StartJobResponse:
        """An expired capability still starts the attempt its work message was written for (a
        message can wait in a backlog longer than a capability lives): the answer then carries a
        fresh one."""
        require_role(WORKER)
        job_id, renewed = self.admit_start(request)
        outcome = await self._store.start(request.tenant_id, job_id, request.analyzer_version, worker_slot(request))
        return start_response(outcome, renewed)

    def admit_start(self, request: pb.StartJobRequest) -> tuple[uuid.UUID, str]:
        """The job's id and its capability (renewed when it had expired), or the refusal."""
        job_id = parse_uuid(request.id, "id")
        return job_id, self._capabilities.renew(request.capability, tenant=request.tenant_id, job_id=str(job_id))

    async def StartJobs(self, request: pb.StartJobsRequest, context: grpc.aio.ServicerContext) -> pb.StartJobsResponse:
        """StartJob for each item, the due jobs started with one statement (``JobStore.start_many``)."""
        require_role(WORKER)

        def admit(item: pb.StartJobsItem) -> tuple[StartItem, str]:
            job_id, renewed = self.admit_start(item.request)
            return StartItem(item.request.tenant_id, job_id, item.request.analyzer_version, item.traceparent,
                             worker_slot(item.request)), renewed

        answers = await answer_batch(
            list(request.items), admit,
            lambda admitted: self._store.start_many([item for item, _ in admitted]),
            lambda outcome, admitted: start_response(outcome, admitted[1]))
        return pb.StartJobsResponse(results=[
            pb.StartJobsResult(error=answer) if isinstance(answer, pb.JobItemError) else
            pb.StartJobsResult(response=answer) for answer in answers])

    async def Heartbeat(self, request: pb.HeartbeatRequest, context: grpc.aio.ServicerContext) -> pb.HeartbeatResponse:
        job_id = self._authorize(request.tenant_id, request.id, request.capability)
        if not 0 <= request.progress <= 100:
            raise invalid_field("progress", "must be between 0 and 100")
        partial = to_json(request.partial_result) if request.HasField("partial_result") else None
        self._check_size(partial, "partial_result")
        job = await self._store.heartbeat(
            request.tenant_id, job_id, _attempt(request.attempt), request.progress, partial)
        return pb.HeartbeatResponse(
            cancel_requested=job.cancel_requested, lease_duration=_duration(self._settings.lease_seconds))

    async def CompleteJob(
        self, request: pb.CompleteJobRequest, context: grpc.aio.ServicerContext
    ) -> pb.CompleteJobResponse:
        item = self.admit_complete(request)
        job = await self._store.complete(
            item.tenant, item.job_id, item.attempt, item.result, item.artifacts, item.cancelled)
        _record_finish(job)
        return pb.CompleteJobResponse(job=job)

    def admit_complete(self, request: pb.CompleteJobRequest, traceparent: str = "") -> CompleteItem:
        """The attempt to complete, once the caller is a worker holding the job's capability and the
        result fits, or the refusal."""
        job_id = self._authorize(request.tenant_id, request.id, request.capability)
        result = to_json(request.result) if request.HasField("result") else None
        self._check_size(result, "result")
        return CompleteItem(request.tenant_id, job_id, _attempt(request.attempt), result,
                            [to_json(a) for a in request.artifacts], request.cancelled, traceparent)

    async def CompleteJobs(
        self, request: pb.CompleteJobsRequest, context: grpc.aio.ServicerContext
    ) -> pb.CompleteJobsResponse:
        """CompleteJob for each item, the running attempts ended with one statement."""
        require_role(WORKER)

        def respond(job: job_pb2.Job, _item: CompleteItem) -> pb.CompleteJobResponse:
            _record_finish(job)
            return pb.CompleteJobResponse(job=job)

        answers = await answer_batch(
            list(request.items), lambda item: self.admit_complete(item.request, item.traceparent),
            self._store.complete_many, respond)
        return pb.CompleteJobsResponse(results=[
            pb.CompleteJobsResult(error=answer) if isinstance(answer, pb.JobItemError) else
            pb.CompleteJobsResult(response=answer) for answer in answers])

    async def FailJob(self, request: pb.FailJobRequest, context: grpc.aio.ServicerContext) -> pb.FailJobResponse:
        job_id = self._authorize(request.tenant_id, request.id, request.capability)
        if not request.error.code:
            raise invalid_field("error.code", "is required")
        attempt = _attempt(request.attempt)
        error = job_pb2.JobError()
        error.CopyFrom(request.error)
        if request.dead_lettered:
            error.code, error.retryable = "DEAD_LETTERED", False
        delay = retry_delay(attempt, self._settings.retry_base_seconds, self._settings.retry_max_seconds)
        job = await self._store.fail(
            request.tenant_id, job_id, attempt, to_json(error), error.retryable, delay)
        requeued = job.state == job_pb2.Job.STATE_QUEUED
        if requeued:
            JOB_RETRIES.labels(analyzer=job.analyzer).inc()
        else:
            _record_finish(job)
            if request.dead_lettered:
                JOB_DEAD_LETTERS.labels(analyzer=job.analyzer).inc()
        return pb.FailJobResponse(job=job, retry_delay=_duration(delay if requeued else 0.0))

    async def ReleaseWorkerAttempts(
        self, request: pb.ReleaseWorkerAttemptsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ReleaseWorkerAttemptsResponse:
        """A worker process starting in a slot proves its predecessors in the slot are gone: their
        running attempts are settled now, not after their leases (no job capability: no one job)."""
        require_role(WORKER)
        for field in ("worker_slot", "worker_boot"):
            if not getattr(request, field):
                raise invalid_field(field, "is required")
        released = await self._store.release_worker(WorkerSlot(request.worker_slot, request.worker_boot))
        span = trace.get_current_span()
        span.set_attribute("assay.worker_slot", request.worker_slot)
        span.set_attribute("assay.attempts_released", released)
        ATTEMPTS_RELEASED.inc(released)
        return pb.ReleaseWorkerAttemptsResponse(released=released)

    def _check_size(self, payload: dict[str, object] | None, field: str) -> None:
        if payload is not None and len(json.dumps(payload)) > self._settings.max_result_bytes:
            raise invalid_field(field, f"exceeds {self._settings.max_result_bytes} bytes", "RESULT_TOO_LARGE")
