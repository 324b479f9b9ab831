"""Assay's server-span interceptor makes the spans OpenTelemetry's aio server interceptor made: the same
calls through a server with each give the same name, kind, scope, attributes, parent, status and
recorded exceptions (the library records an escaping exception twice, Assay once)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from opentelemetry import trace
from opentelemetry.instrumentation.grpc import aio_server_interceptor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from assay.common.server_spans import ServerSpanInterceptor, peer_attributes

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
CALLER_SPAN = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE_ID}-{CALLER_SPAN}-01"


async def _echo(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    assert trace.get_current_span().is_recording()  # the server span is current in the handler
    return request


async def _fail(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    raise RuntimeError("boom")


async def _stream(request: bytes, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
    for _ in range(3):
        yield request


def _test_service() -> grpc.GenericRpcHandler:
    return grpc.method_handlers_generic_handler("test.v1.Probe", {
        "Echo": grpc.unary_unary_rpc_method_handler(_echo),
        "Fail": grpc.unary_unary_rpc_method_handler(_fail),
        "Stream": grpc.unary_stream_rpc_method_handler(_stream),
    })


async def _spans_of_calls(interceptor: grpc.aio.ServerInterceptor, exporter: InMemorySpanExporter
                          ) -> list[ReadableSpan]:
    server = grpc.aio.server(interceptors=[interceptor])
    server.add_generic_rpc_handlers((_test_service(),))
    health_pb2_grpc.add_HealthServicer_to_server(health.aio.HealthServicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    traced = (("traceparent", TRACEPARENT),)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            assert await channel.unary_unary("/test.v1.Probe/Echo")(b"hi", metadata=traced) == b"hi"
            assert await channel.unary_unary("/test.v1.Probe/Echo")(b"untraced") == b"untraced"
            with pytest.raises(grpc.aio.AioRpcError) as failed:
                await channel.unary_unary("/test.v1.Probe/Fail")(b"x", metadata=traced)
            assert failed.value.code() == grpc.StatusCode.UNKNOWN
            assert [r async for r in channel.unary_stream("/test.v1.Probe/Stream")(b"s", metadata=traced)] == [b"s"] * 3
            check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                        request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
                                        response_deserializer=health_pb2.HealthCheckResponse.FromString)
            with pytest.raises(grpc.aio.AioRpcError) as missing:
                await check(health_pb2.HealthCheckRequest(service="nobody"), metadata=traced)
            assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        await server.stop(None)
    return list(exporter.get_finished_spans())


def _shape(span: ReadableSpan) -> dict[str, Any]:
    attributes = dict(span.attributes or {})
    assert attributes.pop("net.peer.port").isdigit()  # a string, as the library sets it; differs per connection
    return {
        "name": span.name, "kind": span.kind,
        "scope": span.instrumentation_scope.name if span.instrumentation_scope else "",
        "attributes": attributes,
        "trace_id": format(span.context.trace_id, "032x") if span.parent else "",
        "parent": span.parent.span_id if span.parent else None,
        "status": (span.status.status_code, span.status.description),
        "exceptions": sorted({(event.attributes or {}).get("exception.type", "")
                              for event in span.events if event.name == "exception"}),
    }


async def test_the_spans_are_the_librarys() -> None:
    shapes = []
    for make in (lambda p: aio_server_interceptor(tracer_provider=p), lambda p: ServerSpanInterceptor(p)):
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        shapes.append([_shape(span) for span in await _spans_of_calls(make(provider), exporter)])
    library, ours = shapes
    assert ours == library
    echo, untraced, fail, stream, check = ours
    assert echo["name"] == "/test.v1.Probe/Echo" and echo["kind"] == trace.SpanKind.SERVER
    assert echo["parent"] == int(CALLER_SPAN, 16) and echo["trace_id"] == TRACE_ID
    assert echo["attributes"]["rpc.service"] == "test.v1.Probe" and echo["attributes"]["rpc.method"] == "Echo"
    assert echo["attributes"]["net.peer.name"] == "localhost" and "rpc.user_agent" in echo["attributes"]
    assert untraced["parent"] is None
    assert fail["exceptions"] == ["RuntimeError"]
    assert stream["parent"] == int(CALLER_SPAN, 16)
    assert check["attributes"]["rpc.grpc.status_code"] == grpc.StatusCode.NOT_FOUND.value[0]


async def test_an_escaping_exception_is_recorded_once() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    spans = await _spans_of_calls(ServerSpanInterceptor(provider), exporter)
    (fail,) = [span for span in spans if span.name.endswith("/Fail")]
    assert [event.name for event in fail.events] == ["exception"]


@pytest.mark.parametrize(("peer", "attributes"), [
    ("ipv4:127.0.0.1:57284", {"net.peer.ip": "127.0.0.1", "net.peer.port": "57284", "net.peer.name": "localhost"}),
    ("ipv6:%5B::1%5D:57284", {"net.peer.ip": "[::1]", "net.peer.port": "57284", "net.peer.name": "localhost"}),
    ("ipv4:10.2.1.1:57284,127.0.0.1:57284", {"net.peer.ip": "10.2.1.1", "net.peer.port": "57284"}),
    ("unix:/tmp/sock", {}),
    ("garbage", {}),
])
def test_peer_attributes_are_parsed_as_the_library_does(peer: str, attributes: dict[str, str]) -> None:
    assert dict(peer_attributes(peer)) == attributes
