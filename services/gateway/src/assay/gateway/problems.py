"""RFC 7807 ``application/problem+json`` for every error the gateway answers.

Upstream ``AioRpcError``s keep their gRPC code, ErrorInfo reason and BadRequest field
violations; the gateway's own refusals (bad JSON, oversized upload, unknown route, ...) use
the same shape with a gateway reason code.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from http import HTTPStatus
from typing import Any

import grpc
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assay.common.errors import AssayError, ErrorDetails, FieldViolation, details_from_rpc_error

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://assay.dev/problems/"

_STATUS_OF: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
    grpc.StatusCode.UNAUTHENTICATED: 401,
}
_SIZE_REASON_MARKERS = ("TOO_LARGE", "TOO_BIG", "SIZE")


def http_status(code: grpc.StatusCode, reason: str = "") -> int:
    """The HTTP status of a gRPC code; RESOURCE_EXHAUSTED is 413 for size caps, 429 otherwise."""
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED and any(m in reason for m in _SIZE_REASON_MARKERS):
        return 413
    return _STATUS_OF.get(code, 500)


class Problem(Exception):
    """A problem the gateway itself answers with."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        grpc_code: grpc.StatusCode | None = None,
        violations: Sequence[FieldViolation] = (),
        headers: dict[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.grpc_code = grpc_code
        self.violations = tuple(violations)
        self.headers = headers or {}
        self.extensions = dict(extensions or {})
        """Members added to the problem document (RFC 7807 extensions), e.g. a refused quota's."""

    @classmethod
    def from_rpc_error(cls, error: grpc.aio.AioRpcError) -> Problem:
        """The problem for a failed upstream call."""
        details = details_from_rpc_error(error)
        if details.code == grpc.StatusCode.CANCELLED:
            # The gateway's own client did not cancel (it would not read the answer): an upstream
            # cancelled the call under it (a handler cut short, a server stopping). Retryable, not
            # 499 "client closed request", which a client takes as final (issue 20's 5,000-job run).
            details = replace(details, code=grpc.StatusCode.UNAVAILABLE)
        return cls.from_details(details)

    @classmethod
    def from_error(cls, error: AssayError) -> Problem:
        """The problem for a domain error raised in the gateway, as if a service had sent it."""
        return cls.from_details(ErrorDetails(error.code, error.message, error.reason, error.violations,
                                             error.metadata))

    @classmethod
    def from_details(cls, details: ErrorDetails) -> Problem:
        """The problem for an error's code, reason, message, violations and ErrorInfo metadata."""
        reason = details.reason or details.code.name
        message = details.message or details.code.name.replace("_", " ").lower()
        if details.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN) \
                and not details.reason:
            # Transport-level failures carry connection details that are no business of the client.
            logger.warning("upstream call failed", extra={"grpc_code": details.code.name, "detail": message})
            message = "an upstream service is unavailable" if details.code == grpc.StatusCode.UNAVAILABLE \
                else "an upstream service failed"
        headers = {"Retry-After": "1"} if details.code == grpc.StatusCode.UNAVAILABLE else None
        if "retry_after_seconds" in details.metadata:
            headers = {"Retry-After": details.metadata["retry_after_seconds"], **_rate_limit(details.metadata)}
        return cls(http_status(details.code, reason), reason, message, grpc_code=details.code,
                   violations=details.violations, headers=headers, extensions=_quota(details.metadata))

    def renamed(self, names: Mapping[str, str]) -> Problem:
        """The problem with violation fields named as the REST request spells them.

        ``names`` maps an upstream field to its REST name: ``header.file`` → ``file`` renames that
        field and every field under it; a key ending in a dot swaps a prefix (``header.params.`` →
        ``params.`` keeps the rest of the path). The longest key wins; a detail that only listed
        the violations is rewritten with the new names.
        """
        violations = tuple(replace(v, field=_rename(v.field, names)) for v in self.violations)
        detail = self.detail
        if violations != self.violations and detail == _listing(self.violations):
            detail = _listing(violations)
        return Problem(self.status, self.code, detail, grpc_code=self.grpc_code, violations=violations,
                       headers=self.headers, extensions=self.extensions)

    def body(self, instance: str, request_id: str | None) -> dict[str, Any]:
        """The problem+json document."""
        title = HTTPStatus(self.status).phrase if self.status in HTTPStatus._value2member_map_ else "Error"
        grpc_code = self.grpc_code or _grpc_code_of(self.status)
        body: dict[str, Any] = {
            "type": TYPE_BASE + self.code.lower().replace("_", "-"),
            "title": title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
            "code": self.code,
            "grpc_code": grpc_code.name,
            "violations": [{"field": v.field, "description": v.description} for v in self.violations],
        }
        if request_id:
            body["request_id"] = request_id
        body.update(self.extensions)
        return body


def bad_request(
    detail: str, field: str = "body", code: str = "INVALID_ARGUMENT", *,
    violations: Sequence[FieldViolation] = (),
) -> Problem:
    """The gateway's 400 problem: ``detail`` about ``field`` (or about each of ``violations``)."""
    return Problem(400, code, detail, grpc_code=grpc.StatusCode.INVALID_ARGUMENT,
                   violations=violations or [FieldViolation(field, detail)])


def too_large(what: str, max_bytes: int, code: str) -> Problem:
    """The gateway's 413 problem: ``what`` exceeds the ``max_bytes`` cap, which the detail names."""
    return Problem(413, code, f"{what} exceeds the {max_bytes} byte limit",
                   grpc_code=grpc.StatusCode.RESOURCE_EXHAUSTED)


def _rate_limit(metadata: Mapping[str, str]) -> dict[str, str]:
    """A refused rate limit as the IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers-08+):
    the policy (quota ``q`` per window ``w`` seconds) and what is left (``r``) until ``t`` seconds."""
    if "rate_limit" not in metadata:
        return {}
    name = metadata["rate_limit"]
    return {
        "RateLimit-Policy": f'"{name}";q={metadata["limit"]};w={metadata["window_seconds"]}',
        "RateLimit": f'"{name}";r={metadata["remaining"]};t={metadata["reset_seconds"]}',
    }


def _quota(metadata: Mapping[str, str]) -> dict[str, Any]:
    """A refused quota's name, limit and usage (upstream ErrorInfo metadata) as problem members."""
    if "quota" not in metadata:
        return {}
    return {"quota": metadata["quota"], "limit": int(metadata["limit"]), "usage": int(metadata["usage"])}


def _listing(violations: Iterable[FieldViolation]) -> str:
    return "; ".join(f"{v.field}: {v.description}" for v in violations)


def _rename(field: str, names: Mapping[str, str]) -> str:
    for upstream in sorted(names, key=len, reverse=True):
        if upstream.endswith("."):  # a prefix swap: header.params.x -> params.x
            if field.startswith(upstream):
                return names[upstream] + field[len(upstream):]
            if field == upstream[:-1]:
                return names[upstream][:-1]
        elif field == upstream or field.startswith((upstream + ".", upstream + "[")):
            return names[upstream]  # the field and everything under it
    return field


_GRPC_CODE_OF_STATUS = {
    400: grpc.StatusCode.INVALID_ARGUMENT, 401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED, 404: grpc.StatusCode.NOT_FOUND,
    405: grpc.StatusCode.UNIMPLEMENTED, 409: grpc.StatusCode.FAILED_PRECONDITION,
    413: grpc.StatusCode.RESOURCE_EXHAUSTED, 415: grpc.StatusCode.INVALID_ARGUMENT,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED, 503: grpc.StatusCode.UNAVAILABLE,
    504: grpc.StatusCode.DEADLINE_EXCEEDED,
}


def _grpc_code_of(status: int) -> grpc.StatusCode:
    """The gRPC code closest to a status the gateway answers by itself."""
    return _GRPC_CODE_OF_STATUS.get(status, grpc.StatusCode.UNKNOWN)


def problem_response(request: Request, problem: Problem) -> JSONResponse:
    """Render ``problem`` for ``request``."""
    return problem_json(problem, request.url.path, getattr(request.state, "request_id", None))


def problem_json(problem: Problem, instance: str, request_id: str | None) -> JSONResponse:
    """Render ``problem`` about ``instance`` (the request's path)."""
    return JSONResponse(problem.body(instance, request_id), status_code=problem.status,
                        media_type=PROBLEM_MEDIA_TYPE, headers=problem.headers)


def violations_from_validation(errors: Iterable[Any]) -> list[FieldViolation]:
    """FastAPI validation errors as field violations (``query.page_size``, ``path.job_id``...)."""
    found = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        if location and location[0] == "body":
            location = location[1:]
        found.append(FieldViolation(".".join(location) or "body", str(error.get("msg", "is invalid"))))
    return found


async def handle_problem(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, Problem)
    return problem_response(request, error)


async def handle_rpc_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, grpc.aio.AioRpcError)
    return problem_response(request, Problem.from_rpc_error(error))


async def handle_validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    violations = violations_from_validation(error.errors())
    return problem_response(request, bad_request(_listing(violations) or "the request is invalid",
                                                 violations=violations))


_HTTP_REASONS = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 415: "UNSUPPORTED_MEDIA_TYPE"}


async def handle_http_exception(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = _HTTP_REASONS.get(error.status_code, HTTPStatus(error.status_code).name)
    detail = error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).phrase
    if error.status_code == 404 and detail == "Not Found":
        detail = f"no route for {request.method} {request.url.path}"
    return problem_response(request, Problem(error.status_code, code, detail, headers=dict(error.headers or {})))


async def handle_unexpected(request: Request, error: Exception) -> JSONResponse:
    logger.exception("unhandled error in the gateway")
    return problem_response(request, Problem(500, "INTERNAL", "the gateway failed to handle the request",
                                             grpc_code=grpc.StatusCode.INTERNAL))


def problem_schema() -> dict[str, Any]:
    """The OpenAPI schema of a problem document."""
    return {
        "type": "object",
        "description": "RFC 7807 problem details, extended with the gRPC code, a stable reason code "
                       "and field violations.",
        "properties": {
            "type": {"type": "string", "format": "uri"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "code": {"type": "string", "description": "stable upper-snake-case reason code"},
            "grpc_code": {"type": "string", "description": "gRPC status code name, e.g. NOT_FOUND"},
            "violations": {"type": "array", "items": {
                "type": "object", "required": ["field", "description"],
                "properties": {"field": {"type": "string"}, "description": {"type": "string"}},
            }},
            "request_id": {"type": "string"},
            "quota": {"type": "string", "description": "QUOTA_EXCEEDED: the quota refused, e.g. jobs_per_day"},
            "limit": {"type": "integer", "description": "QUOTA_EXCEEDED: the quota's limit"},
            "usage": {"type": "integer", "description": "QUOTA_EXCEEDED: how much of it is used"},
        },
        "required": ["type", "title", "status", "detail", "code", "grpc_code", "violations"],
    }
