"""/v1/files: streamed upload, metadata, listing, deletion and download redirects (IngestService)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from assay.gateway import multipart, schemas
from assay.gateway.json import to_json
from assay.gateway.multipart import PartStart, declared_media_type, events, read_field
from assay.gateway.problems import bad_request
from assay.gateway.uploads import UPLOAD_FIELDS, forward_file
from assay.gateway.upstream import call_metadata, settings_of, stubs
from assay.v1 import ingest_service_pb2

router = APIRouter(prefix="/v1/files", tags=["files"])

_UPLOAD_BODY = {"required": True, "content": {"multipart/form-data": {
    "schema": schemas.MULTIPART_UPLOAD, "encoding": {"file": {"contentType": "application/octet-stream"}}}}}
_LOCATION = {"Location": {"description": "the file's URL", "schema": {"type": "string"}}}


@router.post("", status_code=201, summary="Upload a file (multipart, streamed to ingest)",
             openapi_extra={"requestBody": _UPLOAD_BODY},
             responses={**schemas.ok(201, "the stored file", schemas.FILE, headers=_LOCATION),
                        **schemas.problems(413, 415)})
async def upload_file(request: Request) -> Response:
    """IngestService.UploadFile, fed chunk by chunk as the body arrives."""
    settings, metadata = settings_of(request), call_metadata(request)
    stream = events(request, settings.max_upload_bytes)
    async for event in stream:
        if not isinstance(event, PartStart):
            continue
        if event.name != "file":
            await read_field(stream, event.name)
            raise bad_request(f"unknown form field {event.name!r}", field=event.name, code=multipart.INVALID)
        header = ingest_service_pb2.FileHeader(
            display_name=event.filename or "", media_type=declared_media_type(event.content_type))
        response = await forward_file(
            stubs(request).ingest.UploadFile, metadata,
            ingest_service_pb2.UploadFileRequest(header=header), stream,
            lambda data: ingest_service_pb2.UploadFileRequest(chunk=data), settings.upload_chunk_bytes,
            UPLOAD_FIELDS)
        return JSONResponse(to_json(response.file), status_code=201,
                            headers={"Location": f"/v1/files/{response.file.id}"})
    raise bad_request("a file part is required", field="file", code=multipart.INVALID)


@router.get("", summary="List the caller's files, newest first",
            responses={**schemas.ok(200, "one page of files", schemas.LIST_FILES), **schemas.problems()})
async def list_files(request: Request, page_size: Annotated[int, Query(ge=0, le=1000)] = 0,
                     page_token: str = "") -> Response:
    """IngestService.ListFiles."""
    response = await stubs(request).ingest.ListFiles(
        ingest_service_pb2.ListFilesRequest(page_size=page_size, page_token=page_token),
        metadata=call_metadata(request), timeout=settings_of(request).rpc_timeout_seconds)
    return JSONResponse(to_json(response))


@router.get("/{file_id}", summary="Get a file's metadata",
            responses={**schemas.ok(200, "the file", schemas.FILE), **schemas.problems(404)})
async def get_file(request: Request, file_id: str) -> Response:
    """IngestService.GetFile."""
    response = await stubs(request).ingest.GetFile(
        ingest_service_pb2.GetFileRequest(id=file_id), metadata=call_metadata(request),
        timeout=settings_of(request).rpc_timeout_seconds)
    return JSONResponse(to_json(response.file))


@router.delete("/{file_id}", status_code=204, summary="Delete a file not used by an active job",
               responses={204: {"description": "deleted"}, **schemas.problems(404, 409)})
async def delete_file(request: Request, file_id: str, cascade: bool = False) -> Response:
    """IngestService.DeleteFile; ``cascade=true`` also deletes every finished job derived from the file
    with its results, events and artifacts, and its search-index chunks (an erasure request)."""
    await stubs(request).ingest.DeleteFile(
        ingest_service_pb2.DeleteFileRequest(id=file_id, cascade=cascade), metadata=call_metadata(request),
        timeout=settings_of(request).rpc_timeout_seconds)
    return Response(status_code=204)


@router.get("/{file_id}/download", status_code=302, summary="Redirect to a short-lived download URL",
            responses={302: {"description": "redirect to the presigned URL", "headers": {
                "Location": {"description": "presigned GET URL", "schema": {"type": "string"}}}},
                **schemas.problems(404)})
async def download_file(request: Request, file_id: str) -> Response:
    """IngestService.GetDownloadUrl, answered as a 302."""
    response = await stubs(request).ingest.GetDownloadUrl(
        ingest_service_pb2.GetDownloadUrlRequest(id=file_id), metadata=call_metadata(request),
        timeout=settings_of(request).rpc_timeout_seconds)
    return RedirectResponse(response.url, status_code=302)
