"""/v1/pipelines: create several jobs with dependencies among them at once, read, cancel."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from assay.gateway import json_body, schemas
from assay.gateway.json import to_json
from assay.gateway.upstream import call_metadata, rpc_timeout, stubs
from assay.v1 import jobs_service_pb2

router = APIRouter(prefix="/v1/pipelines", tags=["pipelines"])

@router.post(
    "", status_code=201, summary="Create a pipeline: several jobs, some waiting for others, all or none",
    openapi_extra={"requestBody": {"required": True, "content": schemas.json_content(schemas.CREATE_PIPELINE_BODY)}},
    responses={**schemas.ok(201, "the pipeline with its jobs", schemas.PIPELINE), **schemas.problems(400, 409)},
)
async def create_pipeline(request: Request) -> Response:
    """JSON CreatePipelineRequest → JobService.CreatePipeline; the Idempotency-Key header is its request_id (the same
    key and body again: the same pipeline; another body: 409)."""
    create = await json_body.read_message(request, jobs_service_pb2.CreatePipelineRequest(), idempotent=True)
    response = await stubs(request).jobs.CreatePipeline(create, metadata=call_metadata(request),
                                                         timeout=rpc_timeout(request))
    pipeline = response.pipeline
    return JSONResponse(to_json(pipeline), status_code=201, headers={"Location": f"/v1/pipelines/{pipeline.id}"})


@router.get("/{pipeline_id}", summary="Get a pipeline and its jobs",
            responses={**schemas.ok(200, "the pipeline", schemas.PIPELINE), **schemas.problems(404)})
async def get_pipeline(request: Request, pipeline_id: str) -> Response:
    """JobService.GetPipeline."""
    response = await stubs(request).jobs.GetPipeline(jobs_service_pb2.GetPipelineRequest(id=pipeline_id),
                                                      metadata=call_metadata(request), timeout=rpc_timeout(request))
    return JSONResponse(to_json(response.pipeline))


@router.post("/{pipeline_id}:cancel", summary="Cancel every unfinished job of a pipeline",
             responses={**schemas.ok(200, "the pipeline after the request", schemas.PIPELINE),
                        **schemas.problems(404)})
async def cancel_pipeline(request: Request, pipeline_id: str) -> Response:
    """JobService.CancelPipeline."""
    response = await stubs(request).jobs.CancelPipeline(jobs_service_pb2.CancelPipelineRequest(id=pipeline_id),
                                                         metadata=call_metadata(request), timeout=rpc_timeout(request))
    return JSONResponse(to_json(response.pipeline))
