"""OpenAPI components: proto-derived schemas plus the few gateway-shaped bodies and responses."""

from __future__ import annotations

from typing import Any

from assay.gateway.json import SchemaRegistry, input_schema
from assay.gateway.problems import PROBLEM_MEDIA_TYPE, problem_schema
from assay.v1 import analysis_service_pb2, ingest_service_pb2, job_pb2, jobs_service_pb2

registry = SchemaRegistry()

JOB = registry.add(job_pb2.Job.DESCRIPTOR)
LIST_JOBS = registry.add(jobs_service_pb2.ListJobsResponse.DESCRIPTOR)
FILE = registry.add(ingest_service_pb2.File.DESCRIPTOR)
LIST_FILES = registry.add(ingest_service_pb2.ListFilesResponse.DESCRIPTOR)
LIST_ANALYZERS = registry.add(analysis_service_pb2.ListAnalyzersResponse.DESCRIPTOR)
JOB_RESULT = registry.add(job_pb2.JobResult.DESCRIPTOR)
JOB_ERROR = registry.add(job_pb2.JobError.DESCRIPTOR)
PIPELINE = registry.add(jobs_service_pb2.Pipeline.DESCRIPTOR)
USAGE = registry.add(jobs_service_pb2.GetUsageResponse.DESCRIPTOR)
REDRIVE = registry.add(jobs_service_pb2.RedriveJobsResponse.DESCRIPTOR)
AUDIT = registry.add(jobs_service_pb2.ListAuditEventsResponse.DESCRIPTOR)

CREATE_JOB_BODY: dict[str, Any] = input_schema(
    registry, jobs_service_pb2.CreateJobRequest.DESCRIPTOR, exclude=("request_id",))
CREATE_JOB_BODY["description"] = (
    "CreateJobRequest as JSON (proto field names). The idempotency key is the Idempotency-Key header.")

REDRIVE_BODY: dict[str, Any] = input_schema(registry, jobs_service_pb2.RedriveJobsRequest.DESCRIPTOR)
CREATE_PIPELINE_BODY: dict[str, Any] = input_schema(
    registry, jobs_service_pb2.CreatePipelineRequest.DESCRIPTOR, exclude=("request_id",))
CREATE_PIPELINE_BODY["description"] = (
    "CreatePipelineRequest as JSON (proto field names). The idempotency key is the Idempotency-Key header.")

_STATE_NAMES = [value.name for value in job_pb2.Job.State.DESCRIPTOR.values]

EXTRA_COMPONENTS: dict[str, dict[str, Any]] = {
    "Problem": problem_schema(),
    "ArtifactLink": {
        "type": "object", "additionalProperties": False,
        "required": ["file_id", "name", "media_type", "deleted"],
        "properties": {
            "file_id": {"type": "string"}, "name": {"type": "string"}, "media_type": {"type": "string"},
            "deleted": {"type": "boolean", "description": "the file was deleted: no download_url"},
            "download_url": {"type": "string", "description": "absent once the file was deleted"},
            "expires_in": {"type": "integer", "description": "seconds the download_url stays valid"},
        },
    },
    "JobResultView": {
        "type": "object", "additionalProperties": False,
        "required": ["job_id", "state", "artifacts"],
        "properties": {
            "job_id": {"type": "string"},
            "state": {"type": "string", "enum": _STATE_NAMES},
            "result": JOB_RESULT,
            "error": JOB_ERROR,
            "artifacts": {"type": "array", "items": {"$ref": "#/components/schemas/ArtifactLink"}},
        },
    },
    "Health": {
        "type": "object", "required": ["status"],
        "properties": {
            "status": {"type": "string", "enum": ["ok", "ready", "not_ready"]},
            "upstreams": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
}

MULTIPART_SUBMIT: dict[str, Any] = {
    "type": "object",
    "required": ["analyzer", "file"],
    "properties": {
        "analyzer": {"type": "string", "description": "registered analyzer name; must precede file"},
        "params": {"type": "string", "description": "JobParams as a JSON string; must precede file"},
        "priority": {"type": "string", "pattern": "^[0-9]$", "description": "0-9; must precede file"},
        "no_cache": {"type": "string", "enum": ["true", "false"],
                     "description": "true: run even when the result cache could answer; must precede file"},
        "file": {"type": "string", "format": "binary"},
    },
}
MULTIPART_UPLOAD: dict[str, Any] = {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary"}},
}


def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Problem responses for ``statuses`` (plus the ones any upstream call may produce)."""
    every = sorted({*statuses, 400, 401, 403, 429, 503, 504})
    return {status: {"description": "problem", "content": {PROBLEM_MEDIA_TYPE: {
        "schema": {"$ref": "#/components/schemas/Problem"}}}} for status in every}


def ok(status: int, description: str, schema: dict[str, Any] | None, **extra: Any) -> dict[int | str, dict[str, Any]]:
    """A success response with a JSON body (or none)."""
    response: dict[str, Any] = {"description": description, **extra}
    if schema is not None:
        response["content"] = json_content(schema)
    return {status: response}


def all_components() -> dict[str, dict[str, Any]]:
    """Every component schema the routes reference."""
    return {**registry.components, **EXTRA_COMPONENTS}
