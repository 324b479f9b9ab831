"""The auth/error interceptor wraps each method's handler once, not on every call."""

from __future__ import annotations

from typing import Any

import grpc

from assay.common.auth import TokenVerifier
from assay.common.config import CommonSettings
from assay.common.interceptors import ServerInterceptor


class Details(grpc.HandlerCallDetails):
    def __init__(self, method: str) -> None:
        self.method = method
        self.invocation_metadata = ()


async def behavior(request: Any, context: Any) -> bytes:
    return b""


async def test_the_same_handler_is_wrapped_once_and_a_new_one_again() -> None:
    interceptor = ServerInterceptor(TokenVerifier(CommonSettings(jwt_hs256_secret="x" * 32)))
    handler: grpc.RpcMethodHandler[Any, Any] = grpc.unary_unary_rpc_method_handler(behavior)

    async def continuation(_details: Any) -> grpc.RpcMethodHandler[Any, Any]:
        return handler

    first = await interceptor.intercept_service(continuation, Details("/assay.v1.JobService/GetJob"))
    again = await interceptor.intercept_service(continuation, Details("/assay.v1.JobService/GetJob"))
    assert first is again and first is not handler
    other = await interceptor.intercept_service(continuation, Details("/assay.v1.JobService/ListJobs"))
    assert other is not first
    handler = grpc.unary_unary_rpc_method_handler(behavior)  # the server's handler changed: wrapped anew
    assert await interceptor.intercept_service(continuation, Details("/assay.v1.JobService/GetJob")) is not first
