"""JobRows builds Job messages from rows; its parse memo is its own and bounded."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

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
