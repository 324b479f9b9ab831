"""Retrying ended jobs (admin): one (`POST /v1/jobs/{id}:retry`) or every match of a filter
(`POST /v1/jobs:redrive`, e.g. the dead letters)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from assay.gateway import json_body, schemas
from assay.gateway.json import JsonFieldError, from_json, to_json
from assay.gateway.problems import bad_request
from assay.gateway.routes.jobs import view
from assay.gateway.upstream import call_metadata, settings_of, stubs
from assay.v1 import jobs_service_pb2

router = APIRouter(tags=["jobs"])


@router.post("/v1/jobs/{job_id}:retry", summary="Retry a failed or cancelled job (admin)",
             responses={**schemas.ok(200, "the job, queued again", schemas.JOB), **schemas.problems(403, 404, 409)})
async def retry_job(request: Request, job_id: str) -> Response:
    """JobService.RetryJob: one more attempt (a job with dependencies waits for them again)."""
    response = await stubs(request).jobs.RetryJob(jobs_service_pb2.RetryJobRequest(id=job_id),
                                                  metadata=call_metadata(request),
                                                  timeout=settings_of(request).rpc_timeout_seconds)
    view(request).remember(response.job)  # the caller's next read sees it queued
    return JSONResponse(to_json(response.job))


@router.post("/v1/jobs:redrive", summary="Retry every failed (or cancelled) job matching a filter (admin)",
             openapi_extra={"requestBody": {"required": False, "content": {"application/json": {
                 "schema": schemas.REDRIVE_BODY}}}},
             responses={**schemas.ok(200, "what was retried and what was refused", schemas.REDRIVE),
                        **schemas.problems(400, 403)})
async def redrive_jobs(request: Request) -> Response:
    """JobService.RedriveJobs; the body is a RedriveJobsRequest, e.g. ``{"error_code": "DEAD_LETTERED"}``."""
    metadata = call_metadata(request)
    raw = await json_body.read_body(request, settings_of(request).max_json_bytes)
    body = json_body.parse(raw) if raw.strip() else {}
    if not isinstance(body, dict):
        raise bad_request("the body must be a JSON object")
    try:
        redrive = from_json(body, jobs_service_pb2.RedriveJobsRequest())
    except JsonFieldError as error:
        raise bad_request(str(error), violations=[error.violation]) from None
    response = await stubs(request).jobs.RedriveJobs(redrive, metadata=metadata,
                                                     timeout=settings_of(request).rpc_timeout_seconds)
    for job in response.retried:
        view(request).remember(job)
    return JSONResponse(to_json(response))
