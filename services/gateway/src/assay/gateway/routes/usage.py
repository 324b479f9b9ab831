"""/v1/usage: the caller's tenant's quotas and how much of each is used (JobService.GetUsage, and
IngestService.GetStorageUsage for the bytes stored)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from assay.common.usage import tenant_usage
from assay.gateway import schemas
from assay.gateway.json import to_json
from assay.gateway.upstream import call_metadata, settings_of, stubs

router = APIRouter(prefix="/v1/usage", tags=["usage"])


@router.get("", summary="The tenant's quotas and their usage",
            responses={**schemas.ok(200, "every quota, its limit (0: none) and usage", schemas.USAGE),
                       **schemas.problems()})
async def get_usage(request: Request) -> Response:
    """JobService.GetUsage and IngestService.GetStorageUsage, asked at once: the job quotas, then
    ``bytes_stored``."""
    response = await tenant_usage(stubs(request).jobs, stubs(request).ingest, call_metadata(request),
                                  settings_of(request).rpc_timeout_seconds)
    return JSONResponse(to_json(response))
