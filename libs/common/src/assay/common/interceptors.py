"""Server interceptors: authentication, domain-error mapping and access logging for every RPC."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import grpc
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from assay.common.auth import Principal, TokenVerifier, WorkerVerifier, current_principal
from assay.common.byte_cache import ByteLRU
from assay.common.db_health import database_unavailable, is_database_unavailable
from assay.common.errors import AssayError, Unauthenticated, abort_with
from assay.common.metrics import RPC_LATENCY, WORKER_REFUSALS
from assay.common.schema_revision import is_schema_outdated, schema_outdated
from assay.common.streams import discard

logger = logging.getLogger(__name__)

PUBLIC_SERVICES = ("/grpc.health.v1.Health/", "/grpc.reflection.")
"""Methods callable without a token."""
WORKER_SERVICES = ("/assay.v1.JobExecutionService/", "/assay.v1.WorkerFileService/")
"""Methods callable only with a worker credential (never with a tenant token)."""


@dataclass(frozen=True)
class CallInfo:
    """Where the RPC being served came from, for the audit log."""

    peer: str
    """The transport peer (``ipv4:10.0.0.5:41234``), preceded by the client address the gateway forwarded
    (``x-forwarded-for``) when there is one: ``203.0.113.7 via ipv4:10.0.0.5:41234``."""
    request_id: str
    """The ``x-request-id`` metadata (the gateway's request id), or ""."""


current_call: contextvars.ContextVar[grpc.aio.ServicerContext | None] = contextvars.ContextVar(
    "assay_call", default=None)
"""The RPC being served, set by the auth interceptor beside ``current_principal`` (read only when
something is audited: ``call_info``)."""


def call_info() -> CallInfo | None:
    """Where the RPC being served came from; None outside an RPC (background work)."""
    context = current_call.get()
    if context is None:
        return None
    metadata = {key: str(value) for key, value in context.invocation_metadata() or ()}
    peer = context.peer() or ""
    if forwarded := metadata.get("x-forwarded-for", "").strip():
        peer = f"{forwarded[:200]} via {peer}"
    return CallInfo(peer=peer, request_id=metadata.get("x-request-id", "")[:200])


class CachingVerifier:
    """Remembers verified tokens (by the raw token string) until they expire: a client that sends
    the same token on every call pays for the signature check once. An LRU bounded by bytes (each
    token's text plus its principal); failures are not cached, so an invalid or expired token is
    always re-verified and refused."""

    PRINCIPAL_BYTES = 256
    """Charged per entry for the principal beside its token text (subject, tenant, roles)."""

    def __init__(self, verifier: TokenVerifier | WorkerVerifier | NoWorkers, max_bytes: int = 4 * 1024 * 1024,
                 name: str = "verified_tokens") -> None:
        self._verifier = verifier
        self._cache: ByteLRU[str, Principal] = ByteLRU(
            name, max_bytes, lambda principal: len(principal.token) + self.PRINCIPAL_BYTES)

    def verify(self, token: str) -> Principal:
        principal = self._cache.get(token)
        if principal is not None:
            if time.time() < principal.expires_at:
                return principal
            self._cache.pop(token)
        principal = self._verifier.verify(token)
        self._cache.put(token, principal)
        return principal


class NoWorkers:
    """Where no worker key is configured: every worker credential is refused."""

    def verify(self, token: str) -> Principal:
        WORKER_REFUSALS.labels(reason="WORKER_CREDENTIAL_REQUIRED").inc()
        raise Unauthenticated("WORKER_CREDENTIAL_REQUIRED",
                              "this service accepts no worker credentials (ASSAY_WORKER_SECRET is not set)")


class ServerInterceptor(grpc.aio.ServerInterceptor):
    """Wraps every handler: authenticates, maps ``AssayError`` to a rich status, logs and times.

    A refused client-streaming call (an upload over the cap, or with a bad token) is answered once
    the client has finished sending, or ``refused_stream_drain_bytes`` more were dropped: see
    :mod:`assay.common.streams` for the grpc client behaviour this avoids.
    """

    def __init__(self, verifier: TokenVerifier, refused_stream_drain_bytes: int = 64 * 1024 * 1024,
                 worker_verifier: WorkerVerifier | None = None) -> None:
        """``verifier`` checks tenant tokens, ``worker_verifier`` the worker credentials that the
        methods of :data:`WORKER_SERVICES` take instead (refused there without one). Rate limits are
        checked before this runs (``assay.common.rate_limit_interceptor``)."""
        self.tenant_verifier = CachingVerifier(verifier)
        """Tenant tokens, verified once per token (the rate-limit interceptor shares it)."""
        self._worker_verifier = CachingVerifier(worker_verifier or NoWorkers(), name="verified_worker_credentials")
        self._recorder = RpcRecorder()
        self._drain_bytes = refused_stream_drain_bytes
        self._wrapped = WrappedHandlers()

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None or method.startswith(PUBLIC_SERVICES):
            return handler
        return self._wrapped.get(method, handler, lambda: _wrap(
            handler, method, self._worker_verifier if method.startswith(WORKER_SERVICES) else self.tenant_verifier,
            self._recorder, self._drain_bytes))


class WrappedHandlers:
    """Method → (its handler, that handler wrapped): a server interceptor wraps each method's handler
    once, not on every call (bounded: only registered methods have a handler)."""

    def __init__(self) -> None:
        self._wrapped: dict[str, tuple[grpc.RpcMethodHandler[Any, Any], grpc.RpcMethodHandler[Any, Any]]] = {}

    def get(self, method: str, handler: grpc.RpcMethodHandler[Any, Any],
            wrap: Callable[[], grpc.RpcMethodHandler[Any, Any]]) -> grpc.RpcMethodHandler[Any, Any]:
        """``handler`` wrapped by ``wrap()``, the first time ``method`` is seen with it."""
        known = self._wrapped.get(method)
        if known is not None and known[0] is handler:
            return known[1]
        wrapped = wrap()
        self._wrapped[method] = (handler, wrapped)
        return wrapped


async def _drain_refused(requests: AsyncIterator[Any], refusal: AssayError, max_bytes: int) -> None:
    dropped, finished = await discard(requests, max_bytes)
    trace.get_current_span().add_event("refused stream drained", {
        "assay.reason": refusal.reason, "assay.drained_bytes": dropped, "assay.client_finished": finished})


def bearer_token(metadata: Iterable[tuple[str, str | bytes]]) -> str | None:
    """The bearer token of a call's ``authorization`` metadata, or None."""
    for key, value in metadata:
        if key == "authorization":
            scheme, _, token = str(value).partition(" ")
            if scheme.lower() == "bearer" and token:
                return token.strip()
    return None


def _token_from(context: grpc.aio.ServicerContext) -> str:
    token = bearer_token(context.invocation_metadata() or ())
    if token is None:
        raise Unauthenticated("UNAUTHENTICATED", "missing bearer token in the authorization metadata")
    return token


class _Observed:
    """One RPC's outcome, whichever way its body ends: a domain error is sent as its rich status, and
    the server span's status and the latency record follow the code (both wrappers below use it)."""

    __slots__ = ("_context", "_drain_bytes", "_method", "_recorder", "_requests", "_started")

    def __init__(
        self, context: grpc.aio.ServicerContext, method: str, recorder: RpcRecorder,
        requests: AsyncIterator[Any] | None = None, drain_bytes: int = 0,
    ) -> None:
        """``requests``: a client stream, read to its end (up to ``drain_bytes``) before a refusal is
        sent, so the client's pending writes cannot turn our status into INTERNAL."""
        self._context, self._method, self._recorder = context, method, recorder
        self._requests, self._drain_bytes = requests, drain_bytes
        self._started = time.perf_counter()

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: Any) -> None:
        code, message = grpc.StatusCode.OK, ""
        if error is not None and not isinstance(error, AssayError) and is_database_unavailable(error):
            error = database_unavailable()  # a PostgreSQL outage: UNAVAILABLE (503), not UNKNOWN (500)
        elif error is not None and not isinstance(error, AssayError) and is_schema_outdated(error):
            error = schema_outdated(error)  # deployment skew: a migration has not run (503, not 500)
        if isinstance(error, AssayError):
            code, message = error.code, error.message
        elif isinstance(error, asyncio.CancelledError):
            code = grpc.StatusCode.CANCELLED
        elif error is not None:
            code, message = _code_of(self._context), _message_of(self._context, error)
        try:
            if isinstance(error, AssayError):
                if self._requests is not None:
                    await _drain_refused(self._requests, error, self._drain_bytes)
                await abort_with(self._context, error)
        finally:
            mark_server_span(code, message)
            self._recorder.record(self._method, code, self._started)


def _wrap(
    handler: grpc.RpcMethodHandler[Any, Any], method: str, verifier: CachingVerifier, recorder: RpcRecorder,
    drain_bytes: int,
) -> grpc.RpcMethodHandler[Any, Any]:
    def authenticate(context: grpc.aio.ServicerContext) -> None:
        caller = verifier.verify(_token_from(context))
        current_principal.set(caller)
        current_call.set(context)

    def unary_response(
        behavior: Callable[..., Awaitable[Any]], client_streaming: bool = False,
    ) -> Callable[..., Awaitable[Any]]:
        async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> Any:
            async with _Observed(context, method, recorder, request if client_streaming else None, drain_bytes):
                authenticate(context)
                return await behavior(request, context)

        return wrapped

    def stream_response(behavior: Any) -> Callable[..., AsyncIterator[Any]]:
        async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            async with _Observed(context, method, recorder):
                authenticate(context)
                async for response in behavior(request, context):
                    yield response

        return wrapped

    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(
            unary_response(handler.unary_unary), handler.request_deserializer,
            passing_bytes(handler.response_serializer))
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(
            unary_response(handler.stream_unary, client_streaming=True), handler.request_deserializer,
            passing_bytes(handler.response_serializer))
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(
            stream_response(handler.unary_stream), handler.request_deserializer, handler.response_serializer)
    return grpc.stream_stream_rpc_method_handler(
        stream_response(handler.stream_stream), handler.request_deserializer, handler.response_serializer)


def passing_bytes(serialize: Callable[[Any], bytes] | None) -> Callable[[Any], bytes] | None:
    """A unary method's response serializer that sends ``bytes`` as they are: a handler may answer
    with its response already serialized (the jobs service's GetJob from its job cache)."""
    if serialize is None:
        return None
    checked: Callable[[Any], bytes] = serialize

    def serialized(response: Any) -> bytes:
        return response if isinstance(response, bytes) else checked(response)

    return serialized


SERVER_FAULTS = frozenset({
    grpc.StatusCode.UNKNOWN, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNIMPLEMENTED,
    grpc.StatusCode.INTERNAL, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DATA_LOSS,
})
"""The codes that make a gRPC server span an error (OpenTelemetry's RPC conventions); the others
(a refused request: INVALID_ARGUMENT, NOT_FOUND …) are the caller's and leave its status unset."""


def mark_server_span(code: grpc.StatusCode, message: str) -> None:
    """Give the RPC's server span (the active one) its real outcome.

    The instrumentation's span starts with ``rpc.grpc.status_code`` 0 and only notices
    ``context.abort``, not ``abort_with_status`` (how a domain error is sent) nor an uncaught
    exception, so without this every server span reads OK/UNSET.
    """
    span = trace.get_current_span()
    span.set_attribute("rpc.grpc.status_code", code.value[0])
    if code in SERVER_FAULTS:
        span.set_status(Status(StatusCode.ERROR, f"{code.name}: {message}" if message else code.name))


def _code_of(context: grpc.aio.ServicerContext) -> grpc.StatusCode:
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return code
    return grpc.StatusCode.UNKNOWN


def _message_of(context: grpc.aio.ServicerContext, error: BaseException) -> str:
    """The details a handler aborted with, else the exception itself."""
    details = context.details() if isinstance(error, grpc.aio.AbortError) else None
    return str(details) if details else repr(error)


class RpcRecorder:
    """Times and logs every finished RPC at a level that follows its outcome."""

    def __init__(self) -> None:
        self._latency: dict[tuple[str, grpc.StatusCode], Any] = {}
        """``RPC_LATENCY.labels(...)`` per (method, code), looked up once instead of on every call."""

    def record(self, method: str, code: grpc.StatusCode, started: float) -> None:
        elapsed = time.perf_counter() - started
        child = self._latency.get((method, code))
        if child is None:
            child = self._latency[(method, code)] = RPC_LATENCY.labels(method=method, code=code.name)
        child.observe(elapsed)
        level = logging.INFO if code in (grpc.StatusCode.OK, grpc.StatusCode.NOT_FOUND) else logging.WARNING
        if code == grpc.StatusCode.OK and elapsed < 1.0:
            level = logging.DEBUG
        if logger.isEnabledFor(level):
            logger.log(level, "rpc finished", extra={"rpc_method": method, "grpc_code": code.name,
                                                     "duration_ms": round(elapsed * 1000, 2)})
