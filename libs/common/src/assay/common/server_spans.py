"""The server span of every gRPC call: the span OpenTelemetry's aio server interceptor makes, with
less work per call.

``opentelemetry-instrumentation-grpc``'s interceptor rebuilds, on every call, what depends only on
the method (the handler wrapper, the ``rpc.*`` attributes), reads the metadata into two dicts,
parses the peer, attaches two contexts (the caller's, then the span's) through two generator-based
context managers, and wraps the servicer context in a ``wrapt`` proxy that watches ``abort`` /
``set_code``. Here the handler is wrapped once per method with its attributes precomputed, the
metadata is read once, the peer's attributes are remembered per peer, and one context (the caller's
with the span in it) is attached. No proxy: the outcome of an RPC that Assay's auth/error
interceptor serves is marked by it (``assay.common.interceptors.mark_server_span``); for the public
methods it does not serve (health, reflection) the code is read from the context when the call ends.

The span is the library's: same instrumentation scope, name (the full method), kind SERVER,
attributes (``rpc.system`` / ``rpc.service`` / ``rpc.method`` / ``rpc.grpc.status_code``,
``rpc.user_agent``, ``net.peer.ip`` / ``net.peer.port`` / ``net.peer.name``), parent (the trace
context in the caller's metadata, through the global propagator) and status. One difference: an
exception escaping the handler is recorded once, where the library records it twice (its interceptor
and ``use_span`` both do).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import grpc
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.grpc.version import __version__ as _LIBRARY_VERSION
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.propagate import extract
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from assay.common.interceptors import PUBLIC_SERVICES, SERVER_FAULTS, WrappedHandlers

logger = logging.getLogger(__name__)

INSTRUMENTATION_SCOPE = "opentelemetry.instrumentation.grpc"
"""The library's scope name, kept so that exporters and queries see the same spans as before."""
SCHEMA_URL = "https://opentelemetry.io/schemas/1.11.0"

if TYPE_CHECKING:
    Handler = grpc.RpcMethodHandler[Any, Any]


class ServerSpanInterceptor(grpc.aio.ServerInterceptor):
    """One SERVER span per RPC, around everything the interceptors after it and the handler do."""

    def __init__(self, tracer_provider: trace.TracerProvider | None = None) -> None:
        self._tracer = trace.get_tracer(INSTRUMENTATION_SCOPE, _LIBRARY_VERSION, tracer_provider,
                                        schema_url=SCHEMA_URL)
        self._wrapped = WrappedHandlers()

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None or not is_instrumentation_enabled():
            return handler
        method: str = handler_call_details.method
        return self._wrapped.get(method, handler, lambda: _wrap(handler, MethodSpans(self._tracer, method)))


class MethodSpans:
    """What a method's server spans share, computed once, and the start and end of one of them."""

    __slots__ = ("_attributes", "_marks_outcome", "_name", "_tracer")

    def __init__(self, tracer: trace.Tracer, method: str) -> None:
        self._tracer, self._name = tracer, method
        attributes: dict[str, str | bytes | int] = {
            "rpc.system": "grpc", "rpc.grpc.status_code": grpc.StatusCode.OK.value[0]}
        if method:
            service, name = method.lstrip("/").split("/", 1)
            attributes["rpc.method"] = name
            attributes["rpc.service"] = service
        self._attributes = attributes
        self._marks_outcome = method.startswith(PUBLIC_SERVICES)
        """Assay's auth/error interceptor marks every other method's outcome on the span."""

    def start(self, context: grpc.aio.ServicerContext) -> tuple[Span, object]:
        """Start the call's span as a child of the caller's trace context and make it current."""
        metadata = context.invocation_metadata()
        attributes = dict(self._attributes)
        parent: otel_context.Context | None = None
        if metadata:
            carrier = {item[0]: item[1] for item in metadata}
            parent = extract(carrier)
            if (agent := carrier.get("user-agent")) is not None:
                attributes["rpc.user_agent"] = agent
        attributes.update(peer_attributes(context.peer()))
        span = self._tracer.start_span(self._name, parent, SpanKind.SERVER, attributes,
                                       set_status_on_exception=False)
        return span, otel_context.attach(trace.set_span_in_context(span, parent))

    def end(self, span: Span, token: object, context: grpc.aio.ServicerContext) -> None:
        try:
            if self._marks_outcome:
                _mark_outcome(span, context)
        finally:
            otel_context.detach(token)  # type: ignore[arg-type]
            span.end()


class CallSpan:
    """One call's span, current while the call runs; an exception escaping the call is recorded on it."""

    __slots__ = ("_context", "_span", "_spans", "_token")

    def __init__(self, spans: MethodSpans, context: grpc.aio.ServicerContext) -> None:
        self._spans, self._context = spans, context

    def __enter__(self) -> None:
        self._span, self._token = self._spans.start(self._context)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: Any) -> None:
        try:
            if isinstance(error, Exception):  # not CancelledError, GeneratorExit: not errors (as the library)
                self._span.record_exception(error)
        finally:
            self._spans.end(self._span, self._token, self._context)


def _mark_outcome(span: Span, context: grpc.aio.ServicerContext) -> None:
    """The library's proxy, after the fact: the code an ``abort`` / ``set_code`` left, an error
    status (described as the library does) for a server fault."""
    code = context.code()
    if not isinstance(code, grpc.StatusCode) or code is grpc.StatusCode.OK:
        return
    span.set_attribute("rpc.grpc.status_code", code.value[0])
    if code in SERVER_FAULTS:
        span.set_status(Status(StatusCode.ERROR, f"{code}:{context.details() or code.value[1]}"))


@lru_cache(maxsize=4096)
def peer_attributes(peer: str) -> tuple[tuple[str, str], ...]:
    """``net.peer.*`` of a gRPC peer (``ipv4:127.0.0.1:57284``, ``ipv6:%5B::1%5D:57284``), parsed
    as the library parses it; remembered, since a connection's calls share their peer."""
    if peer.startswith("unix:"):
        return ()
    try:
        ip, port = peer.split(",")[0].split(":", 1)[1].rsplit(":", 1)
    except (IndexError, ValueError):
        logger.warning("Failed to parse peer address '%s'", peer)
        return ()
    ip = unquote(ip)
    localhost = (("net.peer.name", "localhost"),) if ip in ("[::1]", "127.0.0.1") else ()
    return (("net.peer.ip", ip), ("net.peer.port", port), *localhost)


def _wrap(handler: Handler, spans: MethodSpans) -> Handler:
    def unary_response(behavior: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def traced(request: Any, context: grpc.aio.ServicerContext) -> Any:
            with CallSpan(spans, context):
                return await behavior(request, context)

        return traced

    def stream_response(behavior: Any) -> Callable[..., AsyncIterator[Any]]:
        async def traced(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            with CallSpan(spans, context):
                async for response in behavior(request, context):
                    yield response

        return traced

    serializers = {"request_deserializer": handler.request_deserializer,
                   "response_serializer": handler.response_serializer}
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(unary_response(handler.unary_unary), **serializers)
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(unary_response(handler.stream_unary), **serializers)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(stream_response(handler.unary_stream), **serializers)
    return grpc.stream_stream_rpc_method_handler(stream_response(handler.stream_stream), **serializers)
