"""Retrying every ended job matching a filter (admin): `POST /v1/jobs:redrive`, e.g. the dead
letters (one job: `POST /v1/jobs/{id}:retry`, in routes/jobs.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from assay.gateway import json_body, schemas
from assay.gateway.json import JsonFieldError, from_json, to_json
from assay.gateway.problems import bad_request
from assay.gateway.routes.jobs import job_view_of
from assay.gateway.upstream import call_metadata, settings_of, stubs
from assay.v1 import jobs_service_pb2

router = APIRouter(tags=["jobs"])


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
        job_view_of(request).remember(job)
    return JSONResponse(to_json(response))
