"""Streaming multipart/form-data: parts are yielded as the request body arrives.

``await request.form()`` would spool an upload to a temporary file; this pushes each received
body chunk through python-multipart's push parser and yields the part headers and data slices
immediately, so an upload's bytes only ever live in memory one network chunk at a time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from assay.gateway.problems import Problem, bad_request, too_large
from assay.gateway.upstream import declared_length

MAX_FIELD_BYTES = 64 * 1024
"""Largest non-file form field (analyzer, params...) held in memory."""


@dataclass(frozen=True)
class PartStart:
    """A part's headers have been read."""

    name: str
    filename: str | None
    content_type: str


@dataclass(frozen=True)
class PartData:
    """The next bytes of the current part."""

    data: bytes


@dataclass(frozen=True)
class PartEnd:
    """The current part is complete."""


Event = PartStart | PartData | PartEnd


INVALID = "INVALID_MULTIPART"
"""The reason code of a malformed multipart body."""


def media_type(content_type: str) -> str:
    """The lowercase ``type/subtype`` of a Content-Type value, parameters dropped (``""`` if none)."""
    return content_type.split(";")[0].strip().lower()


def declared_media_type(content_type: str) -> str:
    """The media type a file part declares to ingest: none for absent or generic octet-stream."""
    found = media_type(content_type)
    return "" if found == "application/octet-stream" else found


def boundary_of(request: Request) -> bytes:
    """The multipart boundary of the request, or a 415/400 problem."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data":
        raise Problem(415, "UNSUPPORTED_MEDIA_TYPE", "expected multipart/form-data")
    boundary = options.get(b"boundary")
    if not boundary:
        raise bad_request("the multipart content type has no boundary", code=INVALID)
    return boundary


async def events(request: Request, max_bytes: int) -> AsyncIterator[Event]:
    """Parse the request body as it streams in; raises a problem for malformed or oversized bodies."""
    pending: list[Event] = []
    header_field = bytearray()
    header_value = bytearray()
    headers: dict[str, bytes] = {}

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        headers[header_field.decode("latin-1").lower()] = bytes(header_value)
        header_field.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        _, disposition = parse_options_header(headers.get("content-disposition", b""))
        name = disposition.get(b"name", b"").decode("utf-8", "replace")
        raw_filename = disposition.get(b"filename")
        filename = raw_filename.decode("utf-8", "replace") if raw_filename is not None else None
        content_type = headers.get("content-type", b"").decode("utf-8", "replace")
        pending.append(PartStart(name, filename, content_type))
        headers.clear()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        pending.append(PartData(bytes(data[start:end])))

    def on_part_end() -> None:
        pending.append(PartEnd())

    parser = MultipartParser(boundary_of(request), {
        "on_header_field": on_header_field, "on_header_value": on_header_value,
        "on_header_end": on_header_end, "on_headers_finished": on_headers_finished,
        "on_part_data": on_part_data, "on_part_end": on_part_end,
    })
    if (declared_length(request) or 0) > max_bytes:
        raise too_large("the request body", max_bytes, "UPLOAD_TOO_LARGE")
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > max_bytes:
                raise too_large("the request body", max_bytes, "UPLOAD_TOO_LARGE")
            try:
                parser.write(chunk)
            except (MultipartParseError, ValueError) as error:
                raise bad_request(f"malformed multipart body: {error}", code=INVALID) from None
            while pending:
                yield pending.pop(0)
        parser.finalize()
    except ClientDisconnect:
        raise bad_request("the client disconnected before the body was complete", code=INVALID) from None
    while pending:
        yield pending.pop(0)


async def read_field(stream: AsyncIterator[Event], name: str) -> str:
    """The rest of a non-file part as text (bounded)."""
    value = bytearray()
    async for event in stream:
        if isinstance(event, PartEnd):
            break
        if isinstance(event, PartData):
            value.extend(event.data)
            if len(value) > MAX_FIELD_BYTES:
                raise bad_request(f"exceeds {MAX_FIELD_BYTES} bytes", field=name, code=INVALID)
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("is not UTF-8 text", field=name, code=INVALID) from None


async def drain(stream: AsyncIterator[Event]) -> None:
    """Consume what follows the file part (a trailing field is an error: it came too late)."""
    async for event in stream:
        if isinstance(event, PartStart):
            raise bad_request(f"form field {event.name!r} must come before the file part",
                              field=event.name, code="MULTIPART_FIELD_ORDER")
