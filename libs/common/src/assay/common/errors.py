"""Domain errors and their mapping to ``google.rpc.Status`` with ErrorInfo and BadRequest (AIP-193)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

ERROR_DOMAIN = "assay.dev"
"""The ErrorInfo domain of every error Assay raises."""


@dataclass(frozen=True)
class FieldViolation:
    """One invalid request field: ``field`` is a dotted path, ``description`` says what is wrong."""

    field: str
    description: str


class AssayError(Exception):
    """Base of errors that cross an API boundary; ``reason`` is a stable upper-snake code."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        violations: Iterable[FieldViolation] = (),
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.violations = tuple(violations)
        self.metadata = dict(metadata or {})

    def to_status(self) -> status_pb2.Status:
        """Build the rich ``google.rpc.Status`` carried in the trailers, bounded so the trailers stay under
        gRPC's 8 KiB metadata limit (past it the client sees RESOURCE_EXHAUSTED "Stream removed" instead of
        the error): the message is cut at :data:`MAX_MESSAGE_CHARS`, and violations past
        :data:`MAX_DETAILS_BYTES` are summed up in a last one ("… and N more")."""
        info = error_details_pb2.ErrorInfo(reason=self.reason, domain=ERROR_DOMAIN, metadata=self.metadata)
        details = [_pack(info)]
        if self.violations:
            details.append(_pack(_bounded_violations(self.violations, MAX_DETAILS_BYTES - info.ByteSize())))
        message = self.message if len(self.message) <= MAX_MESSAGE_CHARS else self.message[:MAX_MESSAGE_CHARS] + "…"
        return status_pb2.Status(code=self.code.value[0], message=message, details=details)


MAX_MESSAGE_CHARS = 1000
"""Longest status message sent; a longer one is cut (the violations still name each field)."""
MAX_DETAILS_BYTES = 4096
"""Most bytes of serialized error details (base64 in the trailers: about 5.5 KiB)."""
_MAX_VIOLATION_CHARS = MAX_MESSAGE_CHARS
"""Longest field name or description of one violation sent (as long as a message, so a message that
only lists its violations still reads as that listing)."""


def _bounded_violations(violations: Sequence[FieldViolation], budget: int) -> error_details_pb2.BadRequest:
    bad = error_details_pb2.BadRequest()
    for index, violation in enumerate(violations):
        bad.field_violations.add(field=violation.field[:_MAX_VIOLATION_CHARS],
                                 description=violation.description[:_MAX_VIOLATION_CHARS])
        if bad.ByteSize() > budget - 64:  # room for the summary below
            del bad.field_violations[-1]
            bad.field_violations.add(field="", description=f"… and {len(violations) - index} more")
            break
    return bad


class InvalidArgument(AssayError):
    """The request is malformed; the field violations say which fields and why."""

    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(AssayError):
    """The resource does not exist for the caller's tenant (also for other tenants' resources)."""

    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(AssayError):
    """A resource with that identity exists with a different content (e.g. a reused request_id)."""

    code = grpc.StatusCode.ALREADY_EXISTS


class FailedPrecondition(AssayError):
    """The resource is in a state that does not allow the operation (e.g. cancelling a done job)."""

    code = grpc.StatusCode.FAILED_PRECONDITION


class Aborted(AssayError):
    """A concurrent operation holds the resource; the caller may retry shortly."""

    code = grpc.StatusCode.ABORTED


class ResourceExhausted(AssayError):
    """A size or rate limit was exceeded."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class Unauthenticated(AssayError):
    """No valid bearer token was presented."""

    code = grpc.StatusCode.UNAUTHENTICATED


class PermissionDenied(AssayError):
    """The caller's roles do not allow the method."""

    code = grpc.StatusCode.PERMISSION_DENIED


class Unavailable(AssayError):
    """A dependency is down; the caller may retry."""

    code = grpc.StatusCode.UNAVAILABLE


def invalid_field(field: str, description: str, reason: str = "INVALID_ARGUMENT") -> InvalidArgument:
    """Shortcut for a single-field INVALID_ARGUMENT."""
    return InvalidArgument(reason, f"{field}: {description}", violations=[FieldViolation(field, description)])


def invalid_fields(violations: Sequence[FieldViolation], reason: str = "INVALID_ARGUMENT") -> InvalidArgument:
    """INVALID_ARGUMENT carrying every violation, its message listing them all."""
    return InvalidArgument(reason, "; ".join(f"{v.field}: {v.description}" for v in violations),
                           violations=violations)


def _pack(message: error_details_pb2.ErrorInfo | error_details_pb2.BadRequest) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


async def abort_with(context: grpc.aio.ServicerContext, error: AssayError) -> None:
    """Abort the RPC with the error's rich status."""
    await context.abort_with_status(rpc_status.to_status(error.to_status()))


@dataclass(frozen=True)
class ErrorDetails:
    """What a client reads back from a failed RPC."""

    code: grpc.StatusCode
    message: str
    reason: str
    violations: tuple[FieldViolation, ...]
    metadata: Mapping[str, str] = field(default_factory=dict)
    """The ErrorInfo's metadata (e.g. a refused quota's ``quota``, ``limit``, ``usage``)."""


def details_from_rpc_error(error: grpc.aio.AioRpcError) -> ErrorDetails:
    """Decode ErrorInfo and BadRequest from a failed call (the gateway and tests use it)."""
    status = rpc_status.from_call(error)
    code: grpc.StatusCode = error.code()
    reason, violations, metadata = "", [], {}
    if status is not None:
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                reason = info.reason
                metadata = dict(info.metadata)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                violations = [FieldViolation(v.field, v.description) for v in bad.field_violations]
    message = status.message if status is not None else (error.details() or "")
    return ErrorDetails(code, message, reason, tuple(violations), metadata)


__all__ = [
    "ERROR_DOMAIN", "AlreadyExists", "AssayError", "ErrorDetails", "FailedPrecondition",
    "FieldViolation", "InvalidArgument", "NotFound", "PermissionDenied", "ResourceExhausted",
    "Unauthenticated", "Unavailable", "abort_with", "details_from_rpc_error",
    "invalid_field",
]
