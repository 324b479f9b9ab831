"""JobRows builds Job messages from rows; its parse memo is its own and bounded."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from google.protobuf import json_format

from assay.jobs.codec import JobRows
from assay.v1 import job_pb2


def row(text: str) -> dict[str, Any]:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    return {
        "id": uuid.UUID(int=1), "tenant_id": "acme", "created_by": "alice", "analyzer": "sentiment",
        "analyzer_version": "1.0.0", "state": "SUCCEEDED", "progress": 100, "attempt": 1, "max_attempts": 3,
        "priority": 0, "request_id": None, "cancel_requested": False, "trace_id": "ab" * 16,
        "params": {"sentiment": {}}, "inputs": {"text": text}, "result": None,
        "error": {"code": "X", "message": "m", "retryable": False}, "artifacts": [],
        "lease_expires_at": None, "created_at": now, "started_at": now, "ended_at": now, "updated_at": now,
        "next_attempt_at": None,
    }


def test_builds_the_job_and_memoises_per_instance() -> None:
    rows = JobRows()
    first = rows.job(row("I love it"))
    again = rows.job(row("I love it"))
    assert first == again
    assert first.state == job_pb2.Job.STATE_SUCCEEDED
    assert first.inputs.text == "I love it" and first.HasField("params") and first.params.HasField("sentiment")
    assert first.error.code == "X"
    assert JobRows().job(row("I love it")) == first  # another instance, another memo, the same message


def test_memo_is_bounded_by_bytes() -> None:
    class Small(JobRows):
        MAX_BYTES = 4096

    rows = Small()
    for index in range(100):
        assert rows.job(row(f"text {index} " + "x" * 500)).inputs.text.startswith(f"text {index} ")
        assert rows._parsed.nbytes <= Small.MAX_BYTES
    assert 0 < len(rows._parsed) < 100


def reference(source: dict[str, Any]) -> job_pb2.Job:
    """The job as ``ParseDict`` and ``FromDatetime`` make it, every value parsed, nothing memoised."""
    job = JobRows().job({**source, "params": {}, "inputs": {}, "result": None, "error": None, "artifacts": [],
                         **{column: None for _, column in TIMESTAMPS}})
    for name in ("params", "inputs", "result", "error"):
        job.ClearField(name)
        if source[name] is not None:
            json_format.ParseDict(source[name], getattr(job, name), ignore_unknown_fields=True)
    for artifact in source["artifacts"]:
        json_format.ParseDict(artifact, job.artifacts.add(), ignore_unknown_fields=True)
    for field, column in TIMESTAMPS:
        if source[column] is not None:
            getattr(job, field).FromDatetime(source[column])
    return job


TIMESTAMPS = (("lease_expire_time", "lease_expires_at"), ("create_time", "created_at"), ("start_time", "started_at"),
              ("end_time", "ended_at"), ("update_time", "updated_at"), ("next_attempt_time", "next_attempt_at"))
VARIANTS: list[dict[str, Any]] = [
    {"params": {}, "inputs": {}, "result": {}, "error": {}, "artifacts": [{}]},
    {"params": {"sentiment": {}}, "inputs": {"file_ids": []}, "result": None, "error": None, "artifacts": []},
    {"params": {"unknown": 1}, "inputs": {"unknown": "x"}, "result": {"unknown": 2}, "error": None,
     "artifacts": [{"file_id": "f1", "unknown": 3}, {}]},
    {"params": {}, "inputs": {"text": "fine", "file_ids": ["a", "b"]}, "result": {"sentiment": {"label": "POSITIVE"}},
     "error": {"code": "X", "message": "m", "retryable": True}, "artifacts": [{"file_id": "f1"}]},
    {"lease_expires_at": datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
     "created_at": datetime(2026, 1, 2, 3, 4, 5, 678_901, tzinfo=timezone(timedelta(hours=-5))),
     "started_at": datetime(2026, 1, 2, 3, 4, 5, 1), "next_attempt_at": datetime(1, 1, 1, tzinfo=UTC),
     "ended_at": datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)},
]


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_built_job_is_the_one_parse_dict_and_from_datetime_make_byte_for_byte(variant: dict[str, Any]) -> None:
    source = {**row("fine"), **variant}
    rows = JobRows()
    for _ in range(2):  # parsed, then from the memo
        job = rows.job(source)
        assert job == reference(source)
        assert job.SerializeToString(deterministic=True) == reference(source).SerializeToString(deterministic=True)
        assert [job.HasField(name) for name in ("params", "inputs", "result", "error")] == [
            reference(source).HasField(name) for name in ("params", "inputs", "result", "error")]
