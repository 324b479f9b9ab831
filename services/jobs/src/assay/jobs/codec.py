"""Translation between ``jobs.jobs`` rows and ``assay.v1.Job`` messages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from google.protobuf import json_format, timestamp_pb2

from assay.v1 import job_pb2

STATE_NAMES = {
    job_pb2.Job.STATE_QUEUED: "QUEUED",
    job_pb2.Job.STATE_RUNNING: "RUNNING",
    job_pb2.Job.STATE_SUCCEEDED: "SUCCEEDED",
    job_pb2.Job.STATE_FAILED: "FAILED",
    job_pb2.Job.STATE_CANCELLED: "CANCELLED",
}
"""Proto state → the text stored in ``jobs.state``."""
STATE_VALUES = {name: value for value, name in STATE_NAMES.items()}
TERMINAL = ("SUCCEEDED", "FAILED", "CANCELLED")
ACTIVE = ("QUEUED", "RUNNING")


def to_json(message: Any) -> dict[str, Any]:
    """A proto message as JSON for a JSONB column (proto field names, enums as names)."""
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def _timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def job_from_row(row: Mapping[Any, Any]) -> job_pb2.Job:
    """Build the API message from a full ``jobs.jobs`` row."""
    job = job_pb2.Job(
        id=str(row["id"]),
        tenant_id=row["tenant_id"],
        created_by=row["created_by"],
        analyzer=row["analyzer"],
        analyzer_version=row["analyzer_version"],
        state=STATE_VALUES[row["state"]],
        progress=row["progress"],
        attempt=row["attempt"],
        max_attempts=row["max_attempts"],
        priority=row["priority"],
        request_id=row["request_id"] or "",
        cancel_requested=row["cancel_requested"],
        trace_id=row["trace_id"],
    )
    json_format.ParseDict(row["params"], job.params, ignore_unknown_fields=True)
    json_format.ParseDict(row["inputs"], job.inputs, ignore_unknown_fields=True)
    if row["result"] is not None:
        json_format.ParseDict(row["result"], job.result, ignore_unknown_fields=True)
    if row["error"] is not None:
        json_format.ParseDict(row["error"], job.error, ignore_unknown_fields=True)
    for artifact in row["artifacts"]:
        json_format.ParseDict(artifact, job.artifacts.add(), ignore_unknown_fields=True)
    for field, column in (
        ("lease_expire_time", "lease_expires_at"), ("create_time", "created_at"),
        ("start_time", "started_at"), ("end_time", "ended_at"), ("update_time", "updated_at"),
        ("next_attempt_time", "next_attempt_at"),
    ):
        stamp = _timestamp(row[column])
        if stamp is not None:
            getattr(job, field).CopyFrom(stamp)
    return job
