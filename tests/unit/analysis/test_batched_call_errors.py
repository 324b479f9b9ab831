"""A batch item's error reaches the worker as the single call's AioRpcError: same code, reason, message."""

from __future__ import annotations

import grpc

from assay.analysis.batched_calls import item_rpc_error
from assay.analysis.jobs_client import is_superseded, reason_of
from assay.common.errors import details_from_rpc_error
from assay.v1 import job_execution_service_pb2 as pb


def test_an_item_error_is_the_single_calls_error() -> None:
    error = item_rpc_error(pb.JobItemError(
        code=grpc.StatusCode.FAILED_PRECONDITION.value[0], reason="ATTEMPT_SUPERSEDED",
        message="attempt 1 no longer owns job x", metadata={"job_id": "x"}))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error.details() == "attempt 1 no longer owns job x"
    assert is_superseded(error) and reason_of(error) == "ATTEMPT_SUPERSEDED"
    details = details_from_rpc_error(error)
    assert details.reason == "ATTEMPT_SUPERSEDED" and details.metadata == {"job_id": "x"}


def test_an_unknown_code_is_unknown() -> None:
    assert item_rpc_error(pb.JobItemError(code=99, message="?")).code() == grpc.StatusCode.UNKNOWN
