"""JSON request bodies read within limits: a byte cap enforced as the body arrives and a nesting cap
checked before the (recursive) parser runs, so a hostile body costs neither memory nor a 500."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any, TypeVar

from google.protobuf.message import Message
from starlette.requests import ClientDisconnect, Request

from assay.gateway.json import JsonFieldError, from_json
from assay.gateway.problems import Problem, bad_request, too_large
from assay.gateway.upstream import declared_length, idempotency_key, settings_of

MAX_DEPTH = 32
"""Deepest nesting of arrays and objects accepted in a JSON body (the API's own bodies need 4)."""

_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DELTA = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The request body, refused with 413 once its Content-Length or the bytes received pass ``max_bytes``."""
    if (declared_length(request) or 0) > max_bytes:
        raise _too_large(max_bytes)
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > max_bytes:
                raise _too_large(max_bytes)
    except ClientDisconnect:
        raise bad_request("the client disconnected before the body was complete") from None
    return bytes(body)


def _too_large(max_bytes: int) -> Problem:
    return too_large("the JSON body", max_bytes, "BODY_TOO_LARGE")


def too_deep(raw: bytes, max_depth: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects in ``raw`` nest deeper than ``max_depth``, found without parsing.

    Escapes are dropped, then strings, so only structural brackets are counted (each step is one
    linear pass in C; only the running depth is a Python loop, and only when there are enough
    brackets to matter). For invalid JSON the count may be off only past the first error, which
    the parser never gets beyond.
    """
    structure = _STRING.sub(b"", _ESCAPE.sub(b"", raw)).translate(None, _NOT_BRACKETS)
    if structure.count(b"[") + structure.count(b"{") <= max_depth:
        return False
    return any(depth > max_depth for depth in itertools.accumulate(_DELTA[byte] for byte in structure))


def parse(raw: bytes | str, field: str = "body", code: str = "INVALID_ARGUMENT") -> Any:
    """``raw`` parsed as JSON, or a 400 problem naming ``field`` (malformed, or nested too deeply)."""
    data = raw.encode() if isinstance(raw, str) else raw
    if too_deep(data):
        raise bad_request(f"nests arrays and objects deeper than {MAX_DEPTH} levels", field=field, code=code)
    try:
        return json.loads(data)
    except RecursionError:  # cannot happen past the depth check; kept as a guard
        raise bad_request("nests too deeply", field=field, code=code) from None
    except ValueError as error:
        raise bad_request(f"is not valid JSON: {error}", field=field, code=code) from None


INVALID_BODY = "INVALID_REQUEST_BODY"
"""The reason code of a JSON body that does not fit the request message."""

M = TypeVar("M", bound=Message)


async def read_message(request: Request, message: M, *, idempotent: bool = False) -> M:
    """Fill ``message`` from the request's JSON object body (bounded by ``ASSAY_MAX_JSON_BYTES``, nesting
    checked); 400 ``INVALID_REQUEST_BODY`` naming what is wrong. ``idempotent``: the message's
    ``request_id`` comes from the Idempotency-Key header, never from the body."""
    body = parse(await read_body(request, settings_of(request).max_json_bytes), code=INVALID_BODY)
    if not isinstance(body, dict):
        raise bad_request("the body must be a JSON object", code=INVALID_BODY)
    if idempotent and "request_id" in body:
        raise bad_request("use the Idempotency-Key header instead", field="request_id", code=INVALID_BODY)
    try:
        from_json(body, message)
    except JsonFieldError as error:
        raise bad_request(str(error), code=INVALID_BODY, violations=[error.violation]) from None
    if idempotent:
        message.request_id = idempotency_key(request)  # type: ignore[attr-defined]
    return message
