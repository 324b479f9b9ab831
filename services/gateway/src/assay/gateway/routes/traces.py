"""``GET /v1/jobs/{job_id}/trace``: the job's spans for the console's waterfall.

Read from the span file the processes append to when no OTLP collector is configured
(``ASSAY_TRACE_FILE``, which ``assay dev`` sets, and its rotated predecessors): the same spans
``assay trace`` draws. Without a span file the trace is not reachable from the gateway (it lives
in the collector) and the route answers 404 ``TRACE_UNAVAILABLE``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from opentelemetry import trace

from assay.devstack.spans import trace_spans
from assay.gateway import schemas
from assay.gateway.problems import Problem
from assay.gateway.upstream import call_metadata, settings_of, stubs
from assay.v1 import jobs_service_pb2

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

MAX_SPANS = 2000
"""Most spans returned for one trace (the earliest ones); ``truncated`` says when there were more."""

_SPAN = {
    "type": "object",
    "properties": {
        "span_id": {"type": "string"}, "parent_id": {"type": "string"}, "name": {"type": "string"},
        "service": {"type": "string"}, "kind": {"type": "string"}, "status": {"type": "string"},
        "status_message": {"type": "string"},
        "offset_ms": {"type": "number", "description": "start, after the trace's first span started"},
        "duration_ms": {"type": "number"},
        "events": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}, "offset_ms": {"type": "number"}}}},
    },
}
TRACE = {
    "type": "object", "required": ["trace_id", "spans", "truncated"],
    "properties": {"trace_id": {"type": "string"}, "spans": {"type": "array", "items": _SPAN},
                   "truncated": {"type": "boolean"}},
}


@router.get("/{job_id}/trace", summary="The job's trace as spans on a time axis (when the span file is reachable)",
            responses={**schemas.ok(200, "the trace's spans, earliest first", TRACE), **schemas.problems(404)})
async def get_trace(request: Request, job_id: str) -> Response:
    """JobService.GetJob (the caller must be able to read the job), then its trace's spans."""
    job = (await stubs(request).jobs.GetJob(
        jobs_service_pb2.GetJobRequest(id=job_id, view=jobs_service_pb2.JOB_VIEW_BASIC),
        metadata=call_metadata(request), timeout=settings_of(request).rpc_timeout_seconds)).job
    span_file = settings_of(request).trace_file
    if not span_file or not job.trace_id:
        raise Problem(404, "TRACE_UNAVAILABLE", "this gateway cannot read traces: spans go to a collector "
                      "(set ASSAY_TRACE_FILE, as assay dev does, to serve them here)",
                      grpc_code=grpc.StatusCode.NOT_FOUND)
    records = await asyncio.to_thread(trace_spans, Path(span_file), job.trace_id)
    trace.get_current_span().set_attribute("assay.trace.spans", len(records))
    return JSONResponse(waterfall(job.trace_id, records))


def waterfall(trace_id: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Spans with start offsets and durations in milliseconds from the trace's first start
    (nanosecond epochs do not fit a JSON number exactly), earliest first."""
    records = sorted(records, key=lambda record: int(record["start_ns"]))
    origin = int(records[0]["start_ns"]) if records else 0

    def offset(nanoseconds: Any) -> float:
        return round((int(nanoseconds) - origin) / 1e6, 3)

    spans = [{
        "span_id": record.get("span_id", ""), "parent_id": record.get("parent_id", ""),
        "name": record.get("name", ""), "service": record.get("service", ""), "kind": record.get("kind", ""),
        "status": record.get("status", "UNSET"), "status_message": record.get("status_message") or "",
        "offset_ms": offset(record["start_ns"]),
        "duration_ms": round((int(record["end_ns"]) - int(record["start_ns"])) / 1e6, 3),
        "events": [{"name": event.get("name", ""), "offset_ms": offset(event.get("time_ns", origin))}
                   for event in record.get("events") or ()],
    } for record in records[:MAX_SPANS]]
    return {"trace_id": trace_id, "spans": spans, "truncated": len(records) > MAX_SPANS}
