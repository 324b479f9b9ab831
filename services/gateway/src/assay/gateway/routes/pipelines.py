"""/v1/pipelines: create several jobs with dependencies among them at once, read, cancel."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from assay.gateway import json_body, schemas
from assay.gateway.json import JsonFieldError, from_json, to_json
from assay.gateway.problems import bad_request
from assay.gateway.upstream import call_metadata, idempotency_key, settings_of, stubs
from assay.v1 import jobs_service_pb2

router = APIRouter(prefix="/v1/pipelines", tags=["pipelines"])

INVALID_BODY = "INVALID_REQUEST_BODY"
"""The reason code of a JSON body that is not a CreatePipelineRequest."""


def _timeout(request: Request) -> float:
    return settings_of(request).rpc_timeout_seconds


@router.post(
    "", status_code=201, summary="Create a pipeline: several jobs, some waiting for others, all or none",
    openapi_extra={"requestBody": {"required": True, "content": schemas.json_content(schemas.CREATE_PIPELINE_BODY)}},
    responses={**schemas.ok(201, "the pipeline with its jobs", schemas.PIPELINE), **schemas.problems(400, 409)},
)
async def create_pipeline(request: Request) -> Response:
    """JSON CreatePipelineRequest → JobService.CreatePipeline; the Idempotency-Key header is its request_id (the same
    key and body again: the same pipeline; another body: 409)."""
    body = json_body.parse(await json_body.read_body(request, settings_of(request).max_json_bytes),
                           code=INVALID_BODY)
    if not isinstance(body, dict):
        raise bad_request("the body must be a JSON object", code=INVALID_BODY)
    if "request_id" in body:
        raise bad_request("use the Idempotency-Key header instead", field="request_id", code=INVALID_BODY)
    try:
        create = from_json(body, jobs_service_pb2.CreatePipelineRequest())
    except JsonFieldError as error:
        raise bad_request(str(error), code=INVALID_BODY, violations=[error.violation]) from None
    create.request_id = idempotency_key(request)
    response = await stubs(request).jobs.CreatePipeline(create, metadata=call_metadata(request),
                                                         timeout=_timeout(request))
    pipeline = response.pipeline
    return JSONResponse(to_json(pipeline), status_code=201, headers={"Location": f"/v1/pipelines/{pipeline.id}"})


@router.get("/{pipeline_id}", summary="Get a pipeline and its jobs",
            responses={**schemas.ok(200, "the pipeline", schemas.PIPELINE), **schemas.problems(404)})
async def get_pipeline(request: Request, pipeline_id: str) -> Response:
    """JobService.GetPipeline."""
    response = await stubs(request).jobs.GetPipeline(jobs_service_pb2.GetPipelineRequest(id=pipeline_id),
                                                      metadata=call_metadata(request), timeout=_timeout(request))
    return JSONResponse(to_json(response.pipeline))


@router.post("/{pipeline_id}:cancel", summary="Cancel every unfinished job of a pipeline",
             responses={**schemas.ok(200, "the pipeline after the request", schemas.PIPELINE),
                        **schemas.problems(404)})
async def cancel_pipeline(request: Request, pipeline_id: str) -> Response:
    """JobService.CancelPipeline."""
    response = await stubs(request).jobs.CancelPipeline(jobs_service_pb2.CancelPipelineRequest(id=pipeline_id),
                                                         metadata=call_metadata(request), timeout=_timeout(request))
    return JSONResponse(to_json(response.pipeline))
