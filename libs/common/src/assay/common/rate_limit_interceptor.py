"""The gRPC side of the rate limits: a tenant call over its rate is refused before anything else runs.

The first server interceptor. It reads the call's bearer token from the metadata, verifies it
through the auth interceptor's cache (a token is verified once for both), takes a request from the
caller's buckets (``assay.common.rate_limits``) and, when one is empty, serves the call with a
handler of its own that answers ``RESOURCE_EXHAUSTED RATE_LIMITED`` at once: the request message is
never parsed (a client stream is read to its end and dropped first, as the auth interceptor does,
so the client reads the real status), no server span is made, nothing is logged and no service
code runs — a flood of refused calls costs the service as little as a call can. Refusals are
counted by ``assay_rate_limited_total`` and ``assay_rpc_duration_seconds`` (code
``RESOURCE_EXHAUSTED``). A call without a valid token goes on, to be refused by the auth
interceptor in its own words; worker and public methods are never limited.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from assay.common.errors import ResourceExhausted, abort_with
from assay.common.interceptors import PUBLIC_SERVICES, WORKER_SERVICES, CachingVerifier, bearer_token
from assay.common.metrics import RPC_LATENCY
from assay.common.rate_limits import RateLimiter
from assay.common.streams import discard

REFUSED = grpc.StatusCode.RESOURCE_EXHAUSTED.name


class RateLimitInterceptor(grpc.aio.ServerInterceptor):
    """Refuses a tenant's call over its rate limit before the tracing and auth interceptors run."""

    def __init__(self, limiter: RateLimiter, verifier: CachingVerifier, refused_stream_drain_bytes: int) -> None:
        """``verifier``: the auth interceptor's tenant-token verifier (its cache is shared)."""
        self._limiter = limiter
        self._verifier = verifier
        self._drain_bytes = refused_stream_drain_bytes

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None or method.startswith(PUBLIC_SERVICES) or method.startswith(WORKER_SERVICES):
            return handler
        refusal = self._limiter.refusal(bearer_token(handler_call_details.invocation_metadata or ()), self._verifier)
        if refusal is None:
            return handler
        return _refusing(handler, method, refusal, self._drain_bytes)


def _refusing(handler: grpc.RpcMethodHandler[Any, Any], method: str, refusal: ResourceExhausted,
              drain_bytes: int) -> grpc.RpcMethodHandler[Any, Any]:
    """A handler of ``handler``'s kind answering ``refusal``; a unary request is left unparsed."""
    started = time.perf_counter()

    async def refuse(context: grpc.aio.ServicerContext, requests: AsyncIterator[Any] | None = None) -> None:
        try:
            if requests is not None:
                await discard(requests, drain_bytes)
            await abort_with(context, refusal)
        finally:
            RPC_LATENCY.labels(method=method, code=REFUSED).observe(time.perf_counter() - started)

    async def unary_in(request: Any, context: grpc.aio.ServicerContext) -> None:
        await refuse(context)

    async def stream_in(requests: AsyncIterator[Any], context: grpc.aio.ServicerContext) -> None:
        await refuse(context, requests)

    async def unary_in_stream_out(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        await refuse(context)
        return
        yield  # an async generator, as grpc expects of a server-streaming handler

    async def stream_in_stream_out(requests: AsyncIterator[Any], context: grpc.aio.ServicerContext,
                                   ) -> AsyncIterator[Any]:
        await refuse(context, requests)
        return
        yield

    serialize = handler.response_serializer
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(unary_in, None, serialize)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(unary_in_stream_out, None, serialize)
    # A client stream is drained message by message (its sizes count towards the drain cap).
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(stream_in, handler.request_deserializer, serialize)
    return grpc.stream_stream_rpc_method_handler(stream_in_stream_out, handler.request_deserializer, serialize)
