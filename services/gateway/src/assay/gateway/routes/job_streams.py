"""``POST /v1/jobs/{job_id}/events:ticket``: a stream ticket for a browser's EventSource."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from opentelemetry import trace

from assay.gateway import schemas
from assay.gateway.tickets import ticket_box
from assay.gateway.upstream import bearer_token, call_metadata, settings_of, stubs
from assay.v1 import jobs_service_pb2

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

TICKET = {
    "type": "object", "additionalProperties": False, "required": ["ticket", "expires_in", "events_url"],
    "properties": {
        "ticket": {"type": "string", "description": "pass as `?ticket=` to the job's events stream"},
        "expires_in": {"type": "integer", "description": "seconds the ticket may (re)open the stream"},
        "events_url": {"type": "string", "description": "the stream's path with the ticket, for EventSource"},
    },
}


@router.post("/{job_id}/events:ticket", summary="A short-lived ticket to follow one job's events from a browser",
             responses={**schemas.ok(200, "the ticket", TICKET), **schemas.problems(404)})
async def create_ticket(request: Request, job_id: str) -> Response:
    """JobService.GetJob (the caller must be able to read the job), then a ticket that opens
    ``GET /v1/jobs/{job_id}/events?ticket=…`` for that job only, read-only, for
    ``ASSAY_STREAM_TICKET_SECONDS``: EventSource cannot send an Authorization header, and a bearer
    token never belongs in a URL."""
    metadata = call_metadata(request)
    await stubs(request).jobs.GetJob(
        jobs_service_pb2.GetJobRequest(id=job_id, view=jobs_service_pb2.JOB_VIEW_BASIC),
        metadata=metadata, timeout=settings_of(request).rpc_timeout_seconds)
    box = ticket_box(request)
    ticket = box.seal(job_id, bearer_token(request))
    trace.get_current_span().set_attribute("assay.job_id", job_id)
    return JSONResponse({"ticket": ticket, "expires_in": box.ttl_seconds,
                         "events_url": f"/v1/jobs/{quote(job_id)}/events?ticket={quote(ticket)}"},
                        headers={"Cache-Control": "no-store"})
