"""A gRPC server span gets the RPC's real code, and ERROR only for a server fault (RPC conventions)."""

from __future__ import annotations

import grpc
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from assay.common.interceptors import mark_server_span


@pytest.mark.parametrize(("code", "status", "description"), [
    (grpc.StatusCode.OK, trace.StatusCode.UNSET, None),
    (grpc.StatusCode.INVALID_ARGUMENT, trace.StatusCode.UNSET, None),
    (grpc.StatusCode.NOT_FOUND, trace.StatusCode.UNSET, None),
    (grpc.StatusCode.INTERNAL, trace.StatusCode.ERROR, "INTERNAL: RuntimeError('boom')"),
    (grpc.StatusCode.UNAVAILABLE, trace.StatusCode.ERROR, "UNAVAILABLE: RuntimeError('boom')"),
    (grpc.StatusCode.UNKNOWN, trace.StatusCode.ERROR, "UNKNOWN: RuntimeError('boom')"),
])
def test_the_server_span_carries_the_code_and_errors_only_on_server_faults(code, status, description):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("test").start_as_current_span("/svc/Method", kind=trace.SpanKind.SERVER,
                                                           attributes={"rpc.grpc.status_code": 0}):
        mark_server_span(code, repr(RuntimeError("boom")))
    (span,) = exporter.get_finished_spans()
    assert span.attributes["rpc.grpc.status_code"] == code.value[0]
    assert span.status.status_code == status
    assert span.status.description == description
