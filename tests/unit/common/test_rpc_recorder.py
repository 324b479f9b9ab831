"""The interceptor's RpcRecorder times each finished RPC into assay_rpc_duration_seconds."""

from __future__ import annotations

import time

import grpc
from prometheus_client import REGISTRY

from assay.common.interceptors import RpcRecorder


def observed(method: str, code: str) -> float:
    value = REGISTRY.get_sample_value("assay_rpc_duration_seconds_count", {"method": method, "code": code})
    return value or 0.0


def test_each_recorder_times_calls_by_method_and_code() -> None:
    method = "/assay.test.v1.Recorder/Call"
    before_ok, before_bad = observed(method, "OK"), observed(method, "INVALID_ARGUMENT")
    first, second = RpcRecorder(), RpcRecorder()
    first.record(method, grpc.StatusCode.OK, time.perf_counter())
    first.record(method, grpc.StatusCode.OK, time.perf_counter())
    second.record(method, grpc.StatusCode.INVALID_ARGUMENT, time.perf_counter())
    assert observed(method, "OK") == before_ok + 2
    assert observed(method, "INVALID_ARGUMENT") == before_bad + 1
