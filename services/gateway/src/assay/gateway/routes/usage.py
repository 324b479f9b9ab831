"""/v1/usage: the caller's tenant's quotas and how much of each is used (JobService.GetUsage)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from assay.gateway import schemas
from assay.gateway.json import to_json
from assay.gateway.upstream import call_metadata, settings_of, stubs
from assay.v1 import jobs_service_pb2

router = APIRouter(prefix="/v1/usage", tags=["usage"])


@router.get("", summary="The tenant's quotas and their usage",
            responses={**schemas.ok(200, "every quota, its limit (0: none) and usage", schemas.USAGE),
                       **schemas.problems()})
async def get_usage(request: Request) -> Response:
    """JobService.GetUsage."""
    response = await stubs(request).jobs.GetUsage(
        jobs_service_pb2.GetUsageRequest(), metadata=call_metadata(request),
        timeout=settings_of(request).rpc_timeout_seconds)
    return JSONResponse(to_json(response))
