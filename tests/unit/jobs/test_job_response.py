"""GetJob's pre-serialized answer is byte for byte what serializing the message gives."""

from __future__ import annotations

import pytest

from assay.common.interceptors import passing_bytes
from assay.jobs.job_response import get_job_response
from assay.v1 import job_pb2, jobs_service_pb2


@pytest.mark.parametrize("text_length", [0, 5, 200, 20_000, 3_000_000])
def test_the_answer_from_job_bytes_equals_the_serialized_response(text_length: int) -> None:
    job = job_pb2.Job(id="j1", tenant_id="acme", analyzer="sentiment", state=job_pb2.Job.STATE_SUCCEEDED,
                      inputs=job_pb2.JobInputs(text="x" * text_length))
    answer = get_job_response(job.SerializeToString())
    assert answer == jobs_service_pb2.GetJobResponse(job=job).SerializeToString()
    assert jobs_service_pb2.GetJobResponse.FromString(answer).job == job  # type: ignore[arg-type]


def test_the_response_serializer_sends_bytes_as_they_are_and_serializes_messages() -> None:
    serialize = passing_bytes(jobs_service_pb2.GetJobResponse.SerializeToString)
    assert serialize is not None
    response = jobs_service_pb2.GetJobResponse(job=job_pb2.Job(id="j1"))
    assert serialize(b"\x0a\x00") == b"\x0a\x00"
    assert serialize(response) == response.SerializeToString()
    assert passing_bytes(None) is None
