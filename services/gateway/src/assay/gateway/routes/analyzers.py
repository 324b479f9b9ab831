"""/v1/analyzers: what the workers can run (AnalysisService)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from assay.gateway import schemas
from assay.gateway.json import to_json
from assay.gateway.upstream import call_metadata, settings_of, stubs
from assay.v1 import analysis_service_pb2

router = APIRouter(prefix="/v1/analyzers", tags=["analyzers"])


@router.get("", summary="List the registered analyzers",
            responses={**schemas.ok(200, "every analyzer", schemas.LIST_ANALYZERS), **schemas.problems()})
async def list_analyzers(request: Request) -> Response:
    """AnalysisService.ListAnalyzers."""
    response = await stubs(request).analysis.ListAnalyzers(
        analysis_service_pb2.ListAnalyzersRequest(), metadata=call_metadata(request),
        timeout=settings_of(request).rpc_timeout_seconds)
    return JSONResponse(to_json(response))
