"""/v1/jobs: create (JSON or streamed multipart), read, list, cancel, result and events."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import grpc
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from assay.common.errors import FieldViolation
from assay.gateway import json_body, multipart, schemas
from assay.gateway.job_view import JobView
from assay.gateway.json import JsonFieldError, RenderCache, from_json, to_json
from assay.gateway.multipart import PartStart, declared_media_type, events, media_type, read_field
from assay.gateway.problems import Problem, bad_request
from assay.gateway.sse import job_events, resume_after
from assay.gateway.tickets import stream_metadata
from assay.gateway.uploads import SUBMIT_FIELDS, forward_file
from assay.gateway.upstream import bearer_token, call_metadata, idempotency_key, rpc_timeout, settings_of, stubs
from assay.gateway.views import VIEW_QUERY_VALUES, parse_view
from assay.v1 import ingest_service_pb2, job_pb2, jobs_service_pb2

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

_STATE_ALIASES: dict[str, int] = {}
for _value in job_pb2.Job.State.DESCRIPTOR.values:
    if _value.number:
        _short = _value.name.removeprefix("STATE_")
        for _alias in (_value.name, _short, _short.lower()):
            _STATE_ALIASES[_alias] = _value.number
STATE_QUERY_VALUES = list(_STATE_ALIASES)

_CREATE_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": schemas.CREATE_JOB_BODY},
        "multipart/form-data": {"schema": schemas.MULTIPART_SUBMIT, "encoding": {
            "file": {"contentType": "application/octet-stream"}}},
    },
}
_LOCATION = {"Location": {"description": "the job's URL", "schema": {"type": "string"}}}


def _accepted(request: Request, job: job_pb2.Job) -> JSONResponse:
    """202 with the new job, which the job view now holds: the creator's next read sees it (or newer)."""
    job_view_of(request).remember(job)
    return JSONResponse(to_json(job), status_code=202, headers={"Location": f"/v1/jobs/{job.id}"})


def job_view_of(request: Request) -> JobView:
    found: JobView = request.app.state.job_view
    return found


@router.post(
    "", status_code=202, summary="Create a job (JSON) or submit a document with a job (multipart)",
    openapi_extra={"requestBody": _CREATE_BODY},
    responses={**schemas.ok(202, "the accepted job", schemas.JOB, headers=_LOCATION),
               **schemas.problems(400, 404, 409, 413, 415)},
)
async def create_job(request: Request) -> Response:
    """JSON → JobService.CreateJob; multipart (analyzer, params, then file) → IngestService.SubmitDocument."""
    content_type = media_type(request.headers.get("content-type", ""))
    if content_type == "multipart/form-data":
        return await _submit_document(request)
    if content_type not in ("application/json", ""):
        raise Problem(415, "UNSUPPORTED_MEDIA_TYPE", "send application/json or multipart/form-data")
    metadata = call_metadata(request)
    create = await json_body.read_message(request, jobs_service_pb2.CreateJobRequest(), idempotent=True)
    response = await stubs(request).jobs.CreateJob(create, metadata=metadata, timeout=rpc_timeout(request))
    return _accepted(request, response.job)


async def _submit_document(request: Request) -> Response:
    settings, metadata = settings_of(request), call_metadata(request)
    stream = events(request, settings.max_upload_bytes)
    fields: dict[str, str] = {}
    async for event in stream:
        if not isinstance(event, PartStart):
            continue
        if event.filename is None and event.name != "file":
            fields[event.name] = await read_field(stream, event.name)
            continue
        header = ingest_service_pb2.SubmitDocumentHeader(
            file=ingest_service_pb2.FileHeader(
                display_name=event.filename or "", media_type=declared_media_type(event.content_type)),
            analyzer=fields.pop("analyzer", ""),
            request_id=idempotency_key(request),
        )
        if "params" in fields:
            params = json_body.parse(fields.pop("params") or "{}", field="params", code=multipart.INVALID)
            try:
                from_json(params, header.params, path="params")
            except JsonFieldError as error:
                raise bad_request(str(error), code=multipart.INVALID, violations=[error.violation]) from None
        if "priority" in fields:
            raw = fields.pop("priority")
            if not raw.isdigit() or len(raw) > 2:
                raise bad_request("must be an integer 0-9", field="priority", code=multipart.INVALID)
            header.priority = int(raw)
        if "no_cache" in fields:
            raw = fields.pop("no_cache").lower()
            if raw not in ("true", "false"):
                raise bad_request("must be true or false", field="no_cache", code=multipart.INVALID)
            header.no_cache = raw == "true"
        if fields:
            raise bad_request(f"unknown form fields: {', '.join(sorted(fields))}", field=sorted(fields)[0],
                              code=multipart.INVALID)
        response = await forward_file(
            stubs(request).ingest.SubmitDocument, metadata,
            ingest_service_pb2.SubmitDocumentRequest(header=header), stream,
            lambda data: ingest_service_pb2.SubmitDocumentRequest(chunk=data), settings.upload_chunk_bytes,
            SUBMIT_FIELDS)
        return _accepted(request, response.job)
    raise bad_request("a file part is required", field="file", code=multipart.INVALID)


@router.get("", summary="List the caller's jobs, newest first",
            responses={**schemas.ok(200, "one page of jobs", schemas.LIST_JOBS), **schemas.problems()})
async def list_jobs(
    request: Request,
    state: Annotated[str | None, Query(json_schema_extra={"enum": STATE_QUERY_VALUES})] = None,
    analyzer: str = "",
    file_id: str = "",
    active_only: bool = False,
    error_code: Annotated[str, Query(description="e.g. DEAD_LETTERED")] = "",
    page_size: Annotated[int, Query(ge=0, le=1000)] = 0,
    page_token: str = "",
    view: Annotated[str | None, Query(json_schema_extra={"enum": VIEW_QUERY_VALUES})] = None,
) -> Response:
    """JobService.ListJobs; ``state`` accepts ``queued``, ``QUEUED`` or ``STATE_QUEUED``; ``view``
    is ``BASIC`` (the default: no inline text, params, result, artifacts or error message) or ``FULL``."""
    chosen = 0
    if state:
        if state not in _STATE_ALIASES:
            raise bad_request(f"unknown state {state!r}", violations=[
                FieldViolation("state", "must be a job state, e.g. queued")])
        chosen = _STATE_ALIASES[state]
    listing = jobs_service_pb2.ListJobsRequest(
        page_size=page_size, page_token=page_token, state=chosen,  # type: ignore[arg-type]
        analyzer=analyzer, file_id=file_id, active_only=active_only, error_code=error_code,
        view=parse_view(view))
    response = await stubs(request).jobs.ListJobs(listing, metadata=call_metadata(request),
                                                   timeout=rpc_timeout(request))
    return JSONResponse(to_json(response))


@router.get("/{job_id}", summary="Get a job",
            responses={**schemas.ok(200, "the job", schemas.JOB), **schemas.problems(404)})
async def get_job(
    request: Request, job_id: str,
    view: Annotated[str | None, Query(json_schema_extra={"enum": VIEW_QUERY_VALUES})] = None,
) -> Response:
    """``view`` is ``FULL`` (the default) or ``BASIC``. A FULL read comes from the gateway's job view
    when it holds the caller's job (``assay.gateway.job_view``), else from JobService.GetJob (whose
    FULL answer the view then keeps); a BASIC read always asks GetJob."""
    requested = parse_view(view)
    full = requested != jobs_service_pb2.JOB_VIEW_BASIC
    body = job_view_of(request).body(bearer_token(request), job_id) if full else None
    if body is None:
        response = await stubs(request).jobs.GetJob(jobs_service_pb2.GetJobRequest(id=job_id, view=requested),
                                                     metadata=call_metadata(request), timeout=rpc_timeout(request))
        bodies: RenderCache = request.app.state.job_bodies
        body = bodies.body(response.job)
        if full:
            job_view_of(request).remember(response.job, body)
    return Response(body, media_type="application/json")


@router.post("/{job_id}:cancel", summary="Cancel a job",
             responses={**schemas.ok(200, "the job after the request", schemas.JOB),
                        **schemas.problems(404, 409)})
async def cancel_job(request: Request, job_id: str) -> Response:
    """JobService.CancelJob: a queued job is CANCELLED at once, a running one gets cancel_requested."""
    response = await stubs(request).jobs.CancelJob(jobs_service_pb2.CancelJobRequest(id=job_id),
                                                    metadata=call_metadata(request), timeout=rpc_timeout(request))
    job_view_of(request).remember(response.job)  # the canceller's next read sees the cancellation
    return JSONResponse(to_json(response.job))


@router.post("/{job_id}:retry", summary="Retry a failed or cancelled job (admin)",
             responses={**schemas.ok(200, "the job, queued again", schemas.JOB), **schemas.problems(404, 409)})
async def retry_job(request: Request, job_id: str) -> Response:
    """JobService.RetryJob: a FAILED or CANCELLED job gets a new attempt; the caller needs the admin role."""
    response = await stubs(request).jobs.RetryJob(jobs_service_pb2.RetryJobRequest(id=job_id),
                                                   metadata=call_metadata(request), timeout=rpc_timeout(request))
    job_view_of(request).remember(response.job)  # the caller's next read sees it queued
    return JSONResponse(to_json(response.job))


@router.get("/{job_id}/result", summary="Get a finished job's result and artifact download links",
            responses={**schemas.ok(200, "the result", {"$ref": "#/components/schemas/JobResultView"}),
                       **schemas.problems(404, 409)})
async def get_result(request: Request, job_id: str) -> Response:
    """The job from the gateway's job view when it holds the caller's job (as ``GET /v1/jobs/{id}``),
    else JobService.GetJob; then IngestService.GetDownloadUrl per artifact; 409 while the job runs.

    An artifact whose file was deleted is listed with ``deleted: true`` and no link: the job's
    result stands even when one of its files is gone."""
    held = job_view_of(request).body(bearer_token(request), job_id)  # the job's FULL JSON, rendered
    job = json.loads(held) if held is not None else to_json((await stubs(request).jobs.GetJob(
        jobs_service_pb2.GetJobRequest(id=job_id), metadata=call_metadata(request), timeout=rpc_timeout(request))).job)
    state = job["state"]
    if state in _UNFINISHED:
        raise Problem(409, "JOB_NOT_FINISHED", f"the job is {state}; the result is available once it has finished",
                      grpc_code=grpc.StatusCode.FAILED_PRECONDITION)
    links = await asyncio.gather(*(_artifact_link(request, artifact) for artifact in job["artifacts"]))
    body: dict[str, Any] = {"job_id": job["id"], "state": state, "artifacts": links}
    for field in ("result", "error"):
        if field in job:
            body[field] = job[field]
    return JSONResponse(body)


_UNFINISHED = (job_pb2.Job.State.Name(job_pb2.Job.STATE_QUEUED), job_pb2.Job.State.Name(job_pb2.Job.STATE_RUNNING))


async def _artifact_link(request: Request, artifact: dict[str, Any]) -> dict[str, Any]:
    """An artifact (as JSON) with a download link, or marked deleted when its file has been deleted since."""
    link: dict[str, Any] = {"file_id": artifact["file_id"], "name": artifact["name"],
                            "media_type": artifact["media_type"]}
    try:
        url = await stubs(request).ingest.GetDownloadUrl(
            ingest_service_pb2.GetDownloadUrlRequest(id=artifact["file_id"]), metadata=call_metadata(request),
            timeout=rpc_timeout(request))
    except grpc.aio.AioRpcError as error:
        if error.code() != grpc.StatusCode.NOT_FOUND:
            raise
        return {**link, "deleted": True}
    return {**link, "deleted": False, "download_url": url.url,
            "expires_in": int(url.expires_in.ToTimedelta().total_seconds())}


@router.get("/{job_id}/events", summary="Follow a job as Server-Sent Events (WatchJob)",
            responses={200: {"description": "`retry:`, then `event: job` messages (the job as JSON, `id:` its "
                             "event sequence) until it has finished, then `event: end`",
                             "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                       **schemas.problems(404)})
async def watch_job(request: Request, job_id: str, ticket: str | None = None) -> Response:
    """JobService.WatchJob as SSE; errors before the first snapshot are problem+json.

    Authenticated by the Authorization header or by ``ticket`` (``POST …/events:ticket``, for
    EventSource); ``Last-Event-ID`` resumes after the snapshot it names, without repeating it.
    The job view takes each snapshot relayed, so the job read after the stream's end is the ended one."""
    after = resume_after(request)
    metadata = stream_metadata(request, job_id, ticket)
    call = stubs(request).jobs.WatchJob(jobs_service_pb2.WatchJobRequest(id=job_id), metadata=metadata)
    return await job_events(call, settings_of(request).sse_heartbeat_seconds, after,
                            on_snapshot=job_view_of(request).remember)
