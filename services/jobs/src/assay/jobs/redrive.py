"""RedriveJobs' filter: which ended jobs of a tenant to retry in bulk (dead letters, typically)."""

from __future__ import annotations

from assay.common.errors import FieldViolation, invalid_fields
from assay.jobs.store import RedriveQuery
from assay.v1 import job_pb2, jobs_service_pb2

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
_RETRIABLE = {job_pb2.Job.STATE_UNSPECIFIED: "FAILED", job_pb2.Job.STATE_FAILED: "FAILED",
              job_pb2.Job.STATE_CANCELLED: "CANCELLED"}


def redrive_query(request: jobs_service_pb2.RedriveJobsRequest) -> RedriveQuery:
    """The validated filter; INVALID_ARGUMENT naming every bad field."""
    violations = []
    if request.state not in _RETRIABLE:
        violations.append(FieldViolation("state", "must be FAILED or CANCELLED (only ended jobs are retried)"))
    if not 0 <= request.limit <= MAX_LIMIT:
        violations.append(FieldViolation("limit", f"must be between 1 and {MAX_LIMIT} (0: {DEFAULT_LIMIT})"))
    if violations:
        raise invalid_fields(violations)
    return RedriveQuery(state=_RETRIABLE[request.state], error_code=request.error_code or None,
                        analyzer=request.analyzer or None, limit=request.limit or DEFAULT_LIMIT)
