"""CreatePipeline: checking a request's steps (every violation at once, named ``jobs[i]…``) and
summarising a pipeline's jobs."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from google.protobuf import timestamp_pb2

from assay.common.errors import FieldViolation, InvalidArgument, invalid_fields
from assay.common.fields import request_id_violation
from assay.common.proto_json import clear_redacted
from assay.jobs.dependencies import MAX_DEPENDENCIES
from assay.jobs.store import NewJob, PipelineRequest, PipelineStep
from assay.v1 import job_pb2, jobs_service_pb2

Job = job_pb2.Job
Pipeline = jobs_service_pb2.Pipeline

MAX_PIPELINE_JOBS = 32
"""At most this many jobs in one CreatePipeline request."""
KEY = re.compile(r"[A-Za-z0-9._-]{1,64}")

ValidateJob = Callable[[jobs_service_pb2.CreateJobRequest], Awaitable[NewJob]]
"""CreateJob's checks of one job (files included); raises INVALID_ARGUMENT."""


async def validate_pipeline(
    request: jobs_service_pb2.CreatePipelineRequest, validate_job: ValidateJob,
) -> list[PipelineStep]:
    """The request's steps with ids given and ``after`` keys resolved into ``inputs.jobs``."""
    violations: list[FieldViolation] = []
    if not 1 <= len(request.jobs) <= MAX_PIPELINE_JOBS:
        violations.append(FieldViolation("jobs", f"name between 1 and {MAX_PIPELINE_JOBS} jobs"))
    if (bad_request_id := request_id_violation(request.request_id, "request_id")) is not None:
        violations.append(bad_request_id)
    ids: dict[str, uuid.UUID] = {}
    steps: list[PipelineStep] = []
    for index, step in enumerate(request.jobs):
        field = f"jobs[{index}]"
        if not KEY.fullmatch(step.key):
            violations.append(FieldViolation(f"{field}.key", "must be 1-64 characters of A-Z a-z 0-9 . _ -"))
        elif step.key in ids:
            violations.append(FieldViolation(f"{field}.key", f"repeats the key {step.key!r}"))
        if step.job.request_id:
            violations.append(FieldViolation(f"{field}.job.request_id", "is not allowed in a pipeline"))
        after = []
        for position, key in enumerate(step.after):
            if key not in ids:
                violations.append(FieldViolation(
                    f"{field}.after[{position}]",
                    f"{key!r} names no earlier job of the pipeline (a job waits only for earlier ones: no cycles)"))
            elif ids[key] in after:
                violations.append(FieldViolation(f"{field}.after[{position}]", f"repeats {key!r}"))
            else:
                after.append(ids[key])
        if len(step.job.inputs.jobs) + len(after) > MAX_DEPENDENCIES:
            violations.append(FieldViolation(f"{field}.after", f"at most {MAX_DEPENDENCIES} jobs to wait for"))
        try:
            new = await validate_job(_with_after(step, after))
        except InvalidArgument as refused:
            violations += [FieldViolation(f"{field}.job.{v.field}", v.description) for v in refused.violations]
            new = None
        job_id = uuid.uuid4()
        if KEY.fullmatch(step.key) and step.key not in ids:
            ids[step.key] = job_id
        if new is not None:
            existing = new.dependencies[:len(step.job.inputs.jobs)]
            inputs = dict(new.inputs, jobs=[str(dep) for dep in (*existing, *after)])
            steps.append(PipelineStep(
                job_id=job_id, existing=existing,
                new=dataclasses.replace(new, inputs=inputs, dependencies=(*existing, *after))))
    if violations:
        raise invalid_fields(violations)
    return steps


def _with_after(step: jobs_service_pb2.PipelineJob, after: Sequence[uuid.UUID]) -> jobs_service_pb2.CreateJobRequest:
    """The step's job as CreateJob checks it: the jobs it waits for count as its ``inputs.jobs`` (an analyzer
    whose only inputs are its dependencies is then valid with none named in the step itself)."""
    if not after:
        return step.job
    job = jobs_service_pb2.CreateJobRequest()
    job.CopyFrom(step.job)
    job.inputs.jobs.extend(str(dep) for dep in after)
    return job


def pipeline_request(request: jobs_service_pb2.CreatePipelineRequest) -> PipelineRequest:
    """The request's idempotency key and the digest of the rest (secret params left out, as CreateJob does)."""
    canonical = jobs_service_pb2.CreatePipelineRequest.FromString(request.SerializeToString(deterministic=True))
    canonical.ClearField("request_id")
    clear_redacted(canonical)
    digest = hashlib.sha256(canonical.SerializeToString(deterministic=True)).hexdigest()
    return PipelineRequest(request.request_id or None, digest)


def pipeline_message(pipeline_id: uuid.UUID, tenant: str, created: datetime, jobs: Sequence[Job]) -> Pipeline:
    create_time = timestamp_pb2.Timestamp()
    create_time.FromDatetime(created)
    return Pipeline(id=str(pipeline_id), tenant_id=tenant, state=summary(jobs), jobs=jobs, create_time=create_time)


def summary(jobs: Sequence[Job]) -> Pipeline.State.ValueType:
    """RUNNING while a job is unfinished; then FAILED if one failed, CANCELLED if one was cancelled,
    else SUCCEEDED."""
    states = {job.state for job in jobs}
    if states & {Job.STATE_WAITING, Job.STATE_QUEUED, Job.STATE_RUNNING}:
        return Pipeline.STATE_RUNNING
    if Job.STATE_FAILED in states:
        return Pipeline.STATE_FAILED
    if Job.STATE_CANCELLED in states:
        return Pipeline.STATE_CANCELLED
    return Pipeline.STATE_SUCCEEDED
