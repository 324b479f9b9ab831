"""/v1/audit: the tenant's audit log, newest first (JobService.ListAuditEvents; admin only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from assay.gateway import schemas
from assay.gateway.json import to_json
from assay.gateway.upstream import call_metadata, settings_of, stubs
from assay.v1 import jobs_service_pb2

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("", summary="The tenant's audit log, newest first (admin)",
            responses={**schemas.ok(200, "one page of audit events", schemas.AUDIT), **schemas.problems(400, 403)})
async def list_audit_events(
    request: Request,
    action: Annotated[str, Query(description="create, cancel, retry, redrive, delete, delete_file, "
                                             "retention_sweep, create_pipeline or cancel_pipeline")] = "",
    job_id: str = "",
    actor: str = "",
    outcome: Annotated[str, Query(description="OK, or a refusal's reason code (ROLE_REQUIRED, QUOTA_EXCEEDED)")] = "",
    resource: Annotated[str, Query(description="jobs/<id>, files/<id>, pipelines/<id>, …")] = "",
    request_id: str = "",
    refused_only: bool = False,
    page_size: Annotated[int, Query(ge=0, le=1000)] = 0,
    page_token: str = "",
) -> Response:
    """JobService.ListAuditEvents."""
    listing = jobs_service_pb2.ListAuditEventsRequest(
        page_size=page_size, page_token=page_token, action=action, job_id=job_id, actor=actor, outcome=outcome,
        resource=resource, request_id=request_id, refused_only=refused_only)
    response = await stubs(request).jobs.ListAuditEvents(listing, metadata=call_metadata(request),
                                                         timeout=settings_of(request).rpc_timeout_seconds)
    return JSONResponse(to_json(response))
